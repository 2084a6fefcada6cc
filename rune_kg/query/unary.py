"""Clauses of at most one variable, decided over every candidate world at once with numpy:
- one variable with class atoms (with and, or, not), and any number of partner counts: "a
  ship", "a plane or a helicopter", "a ship with no other ship near it", "a harbor with at
  least 5 ships near it", "a storage tank far from every ship" (rowpairs.Partners);
- closed counts, exists and forall of one variable with such conditions, and conjunctions of
  them: "at least 50 ships", "no plane", "a harbor, and every harbor has a ship near it".
They are the commonest one-clause queries, and the search per world costs 0.1 to 1 ms a world.
The witness equals evaluate.search's: the world's most confident entity that qualifies, the
first in entity order on ties. Relations are between distinct entities, as the distinct-entity
semantics wants b != a.
"""

from __future__ import annotations

import numpy as np

from ..kg.geometry import Thresholds
from ..kg.index import EntityIndex
from .formula import (
    Count,
    Exists,
    ForAll,
    Formula,
    conjuncts,
    is_class_atom,
    negate,
    split_conjuncts,
)
from .plan import Clause
from .rowpairs import COMPARE, class_condition, counted_partners, in_worlds, partner_counts
from .worlds import Env


def decide(
    index: EntityIndex, clause: Clause, candidates: np.ndarray, t: Thresholds
) -> dict[int, Env] | None:
    """world -> witness for the candidate worlds where the clause holds, or None when the
    clause is not of these shapes."""
    formula = clause.formula
    if len(clause.variables) == 1:
        members = _members(index, clause.variables[0], formula, candidates, t)
        return None if members is None else _most_confident(index, clause.variables[0], members)
    if clause.variables:
        return None
    holds = np.ones(len(candidates), dtype=bool)
    for part in conjuncts(formula):
        counted = _counted(part)
        if counted is None:
            return None
        op, n, variable, body = counted
        if is_class_atom(body, variable):
            counts = index.class_counts(body.predicate)[candidates]
        else:
            members = _members(index, variable, body, candidates, t)
            if members is None:
                return None
            counts = np.bincount(index.world_of_row[members], minlength=index.worlds)[candidates]
        holds &= op(counts, n)
    return {int(w): {} for w in candidates[holds]}


def _counted(f: Formula) -> tuple[np.ufunc, int, str, Formula] | None:
    """(compare, n, u, body) when the closed f says "compare(how many u make body true, n)":
    exists u, forall u (no u makes its negation true) and counts of one variable."""
    match f:
        case Count(op=op, n=n, variable=u, body=body):
            return COMPARE[op], n, u, body
        case Exists(variables=(u,), body=body):
            return np.greater_equal, 1, u, body
        case ForAll(variables=(u,), body=body):
            return np.less_equal, 0, u, negate(body)
    return None


def _members(
    index: EntityIndex, variable: str, f: Formula, candidates: np.ndarray, t: Thresholds
) -> np.ndarray | None:
    """The rows of the candidate worlds that make f true of `variable`, when f is a
    conjunction of class conditions and partner counts on it; else None."""
    parts = split_conjuncts(f)
    tables = [class_condition(p, variable) for p in parts]
    counts = [counted_partners(p, variable) for p, table in zip(parts, tables) if table is None]
    classes = [table for table in tables if table is not None]
    if not classes or None in counts:
        return None
    rows = in_worlds(index, np.flatnonzero(np.logical_and.reduce(classes)[index.cls]), candidates)
    for partners in sorted(counts, key=lambda p: p.stored is None):  # stored ones: cheaper
        rows = rows[partners.met(partner_counts(index, partners, rows, t))]
    return rows


def _most_confident(index: EntityIndex, variable: str, rows: np.ndarray) -> dict[int, Env]:
    """world -> {variable: its most confident row among `rows`} (ties: the first row)."""
    if not len(rows):
        return {}
    world = index.world_of_row[rows]
    order = np.lexsort((rows, -index.conf[rows], world))  # by world, most confident first
    first = order[np.concatenate([[True], world[order][1:] != world[order][:-1]])]
    return {int(w): {variable: int(r)} for w, r in zip(world[first], rows[first])}
