"""Formulas that no image can satisfy, found before they are answered: among the conjuncts that
must all hold (the top level of the formula), two classes of one entity that share no
class, a relation and one the ontology declares disjoint from it (owl:propertyDisjointWith) on
the same pair, an asymmetric relation both ways (owl:AsymmetricProperty), an atom and its
negation, or counting bounds on the same condition that no number meets.

Such a formula is still answered (no image matches, as the query language says), but the answer
says why, and an LLM candidate that is contradictory loses its vote.
"""

from __future__ import annotations

import math

from ..vocab import RELATIONS, descendants
from .formula import Atom, Count, Formula, Not, canonical, conjuncts, rename


def contradiction(formula: Formula) -> str | None:
    """Why `formula` cannot hold in any image, or None when no such reason is seen."""
    parts = conjuncts(formula)
    atoms = [p for p in parts if isinstance(p, Atom)]
    for i, first in enumerate(atoms):
        for second in atoms[i + 1 :]:
            reason = _exclusive(first, second)
            if reason:
                return f"{canonical(first)} and {canonical(second)} {reason}"
    for p in parts:
        if isinstance(p, Not) and isinstance(p.body, Atom) and p.body in atoms:
            return f"{canonical(p.body)} and {canonical(p)} contradict each other"
    return _counting(parts)


def _exclusive(first: Atom, second: Atom) -> str | None:
    if len(first.args) == 1 and len(second.args) == 1:
        if first.args == second.args and not (
            descendants(first.predicate) & descendants(second.predicate)
        ):
            return "cannot both hold: an entity has one class"
        return None
    if len(first.args) != 2 or len(second.args) != 2:
        return None
    one, other = RELATIONS[first.predicate], RELATIONS[second.predicate]
    same = first.args == second.args
    swapped = first.args == second.args[::-1]
    if second.predicate in one.disjoint and (same or (swapped and one.symmetric)):
        return "exclude each other (disjoint relations)"
    if first.predicate == second.predicate and one.asymmetric and swapped:
        return f"exclude each other ({one.name} holds one way only)"
    if other.inverse == one.name and other.asymmetric and same:
        return "exclude each other (a relation and its inverse on the same pair)"
    return None


def _counting(parts: tuple[Formula, ...]) -> str | None:
    bounds: dict[str, tuple[int, float]] = {}
    for p in parts:
        if not isinstance(p, Count):
            continue
        key = canonical(rename(p.body, p.variable, "_counted"))  # other names kept
        low, high = bounds.get(key, (0, math.inf))
        if p.op in (">=", "="):
            low = max(low, p.n)
        if p.op in ("<=", "="):
            high = min(high, p.n)
        if low > high:
            return f"no number of entities is at least {low} and at most {high} ({canonical(p)})"
        bounds[key] = (low, high)
    return None
