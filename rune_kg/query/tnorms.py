"""Fuzzy-logic operators of the scored mode, as swappable objects (after LTNtorch).

A t-norm combines the confidences of a witness's entities (and the scores of clauses); the
best witness of an image is chosen by max. Each operator renders itself to SPARQL, so the
score is computed by the store, and to Python, for combining clauses.
"""

from __future__ import annotations

import math
from typing import Protocol


class TNorm(Protocol):
    name: str

    def sparql(self, terms: list[str]) -> str: ...

    def __call__(self, values: list[float]) -> float: ...


class Product:
    """T(a, b) = a * b: every entity's doubt counts (the default)."""

    name = "product"

    def sparql(self, terms: list[str]) -> str:
        return "(" + " * ".join(terms) + ")" if terms else "1.0e0"

    def __call__(self, values: list[float]) -> float:
        return math.prod(values)


class Minimum:
    """T(a, b) = min(a, b) (Goedel): a witness is as good as its weakest entity."""

    name = "minimum"

    def sparql(self, terms: list[str]) -> str:
        if not terms:
            return "1.0e0"
        expr = terms[0]
        for t in terms[1:]:
            expr = f"IF({t} < {expr}, {t}, {expr})"
        return expr

    def __call__(self, values: list[float]) -> float:
        return min(values, default=1.0)


class Lukasiewicz:
    """T(a, b) = max(0, a + b - 1): doubts add up."""

    name = "lukasiewicz"

    def sparql(self, terms: list[str]) -> str:
        if not terms:
            return "1.0e0"
        total = f"({' + '.join(terms)} - {len(terms) - 1}.0e0)"
        return f"IF({total} > 0.0e0, {total}, 0.0e0)"

    def __call__(self, values: list[float]) -> float:
        return max(0.0, sum(values) - (len(values) - 1))


TNORMS: dict[str, TNorm] = {t.name: t for t in (Product(), Minimum(), Lukasiewicz())}
