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


def messages(question: str) -> list[dict]:
    """Chat messages: the system prompt, one user/assistant pair per example, the question."""
    chat = [{"role": "system", "content": system_prompt()}]
    for example in examples():
        chat += [
            {"role": "user", "content": example["question"]},
            {"role": "assistant", "content": example["fol"]},
        ]
    return chat + [{"role": "user", "content": question}]
