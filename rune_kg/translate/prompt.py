"""The one prompt every LLM backend gets: the ontology's vocabulary, the formula syntax and
in-context examples (queries/examples.jsonl), as chat messages."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..vocab import ONTOLOGY, predicates

QUERIES_DIR = Path(__file__).resolve().parents[1] / "queries"

SYNTAX = (
    "Write one first-order-logic formula over the objects detected in one image, on one line, "
    "nothing else.\n"
    "Syntax: atoms pred(x) or pred(x, y); & (and), | (or), ~ (not), -> (implies), parentheses;\n"
    'quantifiers "exists x: F", "forall x: F", counting "exists>=N x: F", "exists<=N x: F", '
    '"exists=N x: F".\n'
    "Free variables are existential; different variables are different objects.\n"
    "Relations (x relative to y; x left_of y means x is left of y): {relations}.\n"
    "Classes (use the predicate, not the English word): {classes}."
)


@cache
def examples() -> list[dict]:
    with (QUERIES_DIR / "examples.jsonl").open() as f:
        return [json.loads(line) for line in f if line.strip()]


def system_prompt() -> str:
    classes = "; ".join(
        f"{c.name}" + (f" ({', '.join(c.synonyms[:3])})" if c.synonyms else "")
        for c in ONTOLOGY.classes.values()
    )
    return SYNTAX.format(relations=", ".join(sorted(predicates())), classes=classes)


@cache
def question_set() -> list[dict]:
    """The team's question set with gold formulas (queries/questions.jsonl)."""
    with (QUERIES_DIR / "questions.jsonl").open() as f:
        return [json.loads(line) for line in f if line.strip()]


class ExamplePicker:
    """Few-shot examples chosen per question: the `k` of examples.jsonl and the question set
    whose questions are nearest to it (all-MiniLM-L6-v2 cosine), the nearest last."""

    def __init__(self, embedder, k: int = 8):
        seen: dict[str, dict] = {}
        for example in [*examples(), *question_set()]:
            seen.setdefault(example["question"].lower(), example)
        self.pool = list(seen.values())
        self.embedder, self.k = embedder, k
        self.vectors = embedder.embed([e["question"] for e in self.pool])

    def pick(self, question: str) -> list[dict]:
        scores = self.vectors @ self.embedder.embed([question])[0]
        order = [
            i
            for i in scores.argsort()[::-1]
            if self.pool[i]["question"].lower() != question.lower()
        ]
        return [self.pool[i] for i in order[: self.k]][::-1]


def messages(question: str, shots: list[dict] | None = None) -> list[dict]:
    """Chat messages: the system prompt, one user/assistant pair per example (`shots`, else
    examples.jsonl), the question."""
    chat = [{"role": "system", "content": system_prompt()}]
    for example in examples() if shots is None else shots:
        chat += [
            {"role": "user", "content": example["question"]},
            {"role": "assistant", "content": example["fol"]},
        ]
    return chat + [{"role": "user", "content": question}]
