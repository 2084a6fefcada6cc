"""Benchmark questions with their gold formulas, by complexity level:
1 one class; 2 two classes and one relation; 3 counting or three entities;
4 negation, forall or disjunction; 5 five or more entities with chained relations.

Hand-written ones come from queries/benchmark.jsonl; the others are generated from TEMPLATES
over the ontology's classes with a seeded random generator, and kept only when their gold
formula selects some but not most images of the collection (`generate`).

Each question has two wordings. `question` is the template's, the phrasing the embedded
translator was written around; `wording` is held out: other sentence frames and other words
for the classes and relations (HELD_OUT, CLASS_WORDS, RELATION_WORDS), written without looking
at what the translator understands, and never to be tuned on. The methods that read English
(rune-pipeline, text-minilm) get the held-out wording, so that translation errors count.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..vocab import ONTOLOGY, leaf_classes

HAND_WRITTEN = Path(__file__).resolve().parents[1] / "queries" / "benchmark.jsonl"
LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class BenchQuestion:
    id: str
    level: int
    question: str  # the template's wording
    fol: str  # gold formula (docs/query-language.md)
    origin: str  # "hand" or the template's name
    wording: str  # held out: what the methods that read English are given


def hand_written(path: Path = HAND_WRITTEN) -> list[BenchQuestion]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        BenchQuestion(r["id"], int(r["level"]), r["question"], r["fol"], "hand", r["wording"])
        for r in rows
    ]


RELATIONS = {  # predicate -> English, for "a C <relation> a D"
    "near": "near",
    "left_of": "left of",
    "right_of": "right of",
    "above": "above",
    "below": "below",
    "far_from": "far from",
    "larger_than": "larger than",
    "parallel": "parallel to",
}
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}


def _word(name: str, plural: bool = False) -> str:
    label = ONTOLOGY.classes[name].label
    return label + "s" if plural else label


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _a(name: str) -> str:
    return f"{_article(_word(name))} {_word(name)}"


# name -> (level, number of classes, builder(classes, relation, n) -> (question, fol))
Template = tuple[int, int, Callable[[list[str], str, int], tuple[str, str]]]
TEMPLATES: dict[str, Template] = {
    "one": (1, 1, lambda c, r, n: (_a(c[0]), f"{c[0]}(a)")),
    "image-with": (1, 1, lambda c, r, n: (f"an image with {_a(c[0])}", f"{c[0]}(a)")),
    "relation": (
        2,
        2,
        lambda c, r, n: (
            f"{_a(c[0])} {RELATIONS[r]} {_a(c[1])}",
            f"{c[0]}(a) & {c[1]}(b) & {r}(a, b)",
        ),
    ),
    "count-near": (
        3,
        2,
        lambda c, r, n: (
            f"{NUMBERS[n]} {_word(c[0], True)} near {_a(c[1])}",
            f"{c[1]}(b) & (exists>={n} a: ({c[0]}(a) & near(a, b)))",
        ),
    ),
    "chain-of-three": (
        3,
        3,
        lambda c, r, n: (
            f"{_a(c[0])} {RELATIONS[r]} {_a(c[1])} that is near {_a(c[2])}",
            f"{c[0]}(a) & {c[1]}(b) & {r}(a, b) & {c[2]}(c) & near(b, c)",
        ),
    ),
    "none-near": (
        4,
        2,
        lambda c, r, n: (
            f"{_a(c[0])} with no {_word(c[1])} near it",
            f"{c[0]}(a) & ~(exists b: ({c[1]}(b) & near(b, a)))",
        ),
    ),
    "every-near": (
        4,
        2,
        lambda c, r, n: (
            f"every {_word(c[0])} is near {_a(c[1])}",
            f"(exists a: {c[0]}(a)) & (forall a: ({c[0]}(a) -> "
            f"(exists b: ({c[1]}(b) & near(a, b)))))",
        ),
    ),
    "without": (
        4,
        3,
        lambda c, r, n: (
            f"{_a(c[0])} near {_a(c[1])} without {_word(c[2], True)}",
            f"{c[0]}(a) & {c[1]}(b) & near(a, b) & ~(exists c: {c[2]}(c))",
        ),
    ),
    "column-near": (
        5,
        2,
        lambda c, r, n: (
            f"four {_word(c[0], True)} in a column next to {_a(c[1])}",
            f"{c[0]}(a) & {c[0]}(b) & {c[0]}(c) & {c[0]}(d) & below(b, a) & below(c, b) "
            f"& below(d, c) & {c[1]}(e) & near(a, e) & near(b, e) & near(c, e) & near(d, e)",
        ),
    ),
    "row-near": (
        5,
        2,
        lambda c, r, n: (
            f"four {_word(c[0], True)} in a row near {_a(c[1])}",
            f"{c[0]}(a) & {c[0]}(b) & {c[0]}(c) & {c[0]}(d) & left_of(a, b) & left_of(b, c) "
            f"& left_of(c, d) & {c[1]}(e) & near(a, e) & near(b, e) & near(c, e) & near(d, e)",
        ),
    ),
}

# -- held-out wordings -----------------------------------------------------------------------

CLASS_WORDS = {  # class -> (singular, plural) choices; a class not here uses its label
    "plane": [("airplane", "airplanes"), ("jet", "jets")],
    "ship": [("vessel", "vessels"), ("boat", "boats")],
    "storage_tank": [("oil tank", "oil tanks"), ("storage tank", "storage tanks")],
    "baseball_diamond": [("baseball field", "baseball fields")],
    "ground_track_field": [("running track", "running tracks"), ("athletics track", "tracks")],
    "harbor": [("harbour", "harbours"), ("port", "ports")],
    "large_vehicle": [("truck", "trucks"), ("lorry", "lorries")],
    "small_vehicle": [("car", "cars"), ("small car", "small cars")],
    "helicopter": [("chopper", "choppers")],
    "roundabout": [("traffic circle", "traffic circles")],
    "soccer_ball_field": [("football pitch", "football pitches"), ("soccer field", "fields")],
    "swimming_pool": [("pool", "pools")],
}
RELATION_WORDS = {
    "near": ["close to", "next to", "beside"],
    "left_of": ["to the left of", "on the left of"],
    "right_of": ["to the right of", "on the right side of"],
    "above": ["above", "located above"],
    "below": ["below", "beneath"],
    "far_from": ["far away from", "a long way from"],
    "larger_than": ["bigger than"],
    "parallel": ["aligned with", "parallel with"],
}


class _Words:
    """Held-out words for one question, drawn with the generator's random numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def one(self, name: str) -> str:
        word = self._forms(name)[0]
        return f"{_article(word)} {word}"

    def many(self, name: str) -> str:
        return self._forms(name)[1]

    def _forms(self, name: str) -> tuple[str, str]:
        """(singular, plural) of one of the class's held-out words, else of its label."""
        label = ONTOLOGY.classes[name].label
        return self.rng.choice(CLASS_WORDS.get(name, [(label, label + "s")]))

    def rel(self, relation: str) -> str:
        return self.rng.choice(RELATION_WORDS[relation])

    def pick(self, *frames: str) -> str:
        return self.rng.choice(frames)


# template name -> builder(words, classes, relation, n) -> held-out wording
HeldOut = Callable[[_Words, list[str], str, int], str]
HELD_OUT: dict[str, HeldOut] = {
    "one": lambda w, c, r, n: w.pick("show me {}", "pictures that contain {}").format(w.one(c[0])),
    "image-with": lambda w, c, r, n: f"is there {w.one(c[0])} anywhere in the scene",
    "relation": lambda w, c, r, n: w.pick("find {} {} {}", "{} that is {} {}").format(
        w.one(c[0]), w.rel(r), w.one(c[1])
    ),
    "count-near": lambda w, c, r, n: (
        f"{w.one(c[1])} with {n} or more {w.many(c[0])} {w.rel('near')} it"
    ),
    "chain-of-three": lambda w, c, r, n: (
        f"{w.one(c[0])} {w.rel(r)} {w.one(c[1])}, and that one is {w.rel('near')} {w.one(c[2])}"
    ),
    "none-near": lambda w, c, r, n: w.pick(
        "{} that has no {} {} it", "{} with no {} anywhere {} it"
    ).format(w.one(c[0]), w.many(c[1]), w.rel("near")),
    "every-near": lambda w, c, r, n: f"all the {w.many(c[0])} are {w.rel('near')} {w.one(c[1])}",
    "without": lambda w, c, r, n: (
        f"{w.one(c[0])} {w.rel('near')} {w.one(c[1])}, and no {w.many(c[2])} in the picture"
    ),
    "column-near": lambda w, c, r, n: (
        f"a column of four {w.many(c[0])} {w.rel('near')} {w.one(c[1])}"
    ),
    "row-near": lambda w, c, r, n: w.pick(
        "four {} side by side {} {}", "a row of four {} {} {}"
    ).format(w.many(c[0]), w.rel("near"), w.one(c[1])),
}


def generate(
    relevant: Callable[[str], int],
    images: int,
    levels=LEVELS,
    per_level: int = 3,
    seed: int = 0,
    tries: int = 1000,
) -> list[BenchQuestion]:
    """`per_level` questions per level from TEMPLATES, classes and relations drawn with `seed`;
    a question is kept when `relevant(fol)`, the number of images its gold formula selects,
    is at least 1 and at most half of `images`."""
    rng = random.Random(seed)
    words = _Words(random.Random(seed + 1))  # its own stream: the questions stay as they were
    classes = sorted(c.name for c in leaf_classes().values())
    found: list[BenchQuestion] = []
    seen: set[str] = set()
    for level in levels:
        names = [name for name, (lvl, _, _) in TEMPLATES.items() if lvl == level]
        kept = 0
        for _ in range(tries):
            if kept == per_level:
                break
            name = names[kept % len(names)] if rng.random() < 0.7 else rng.choice(names)
            _, arity, build = TEMPLATES[name]
            picked = (
                rng.sample(classes, arity)
                if name not in ("column-near", "row-near")
                else [
                    rng.choice(["small_vehicle", "large_vehicle", "ship", "plane", "storage_tank"]),
                    rng.choice(classes),
                ]
            )
            relation, n = rng.choice(sorted(RELATIONS)), rng.choice(sorted(NUMBERS))
            question, fol = build(picked, relation, n)
            if fol in seen:
                continue
            seen.add(fol)
            if 1 <= relevant(fol) <= images // 2:
                kept += 1
                wording = HELD_OUT[name](words, picked, relation, n)
                found.append(
                    BenchQuestion(f"g{level}{kept:02d}", level, question, fol, name, wording)
                )
    return found
