"""Clauses of at most one variable, decided over every candidate world at once with numpy:
- one variable with class atoms (with and, or, not), and any number of partner counts: "a
  ship", "a plane or a helicopter", "a ship with no other ship near it", "a harbor with at
  least 5 ships near it" (a count of b: class atoms on b and one stored relation between the
  variable and b, counted on the index's stored pairs);
- closed counts, exists and forall of one variable with such conditions, and conjunctions of
  them: "at least 50 ships", "no plane", "a harbor, and every harbor has a ship near it".
They are the commonest one-clause queries, and the search per world costs 0.1 to 1 ms a world.
The witness equals evaluate.search's: the world's most confident entity that qualifies, the
first in entity order on ties. Relations are between distinct entities, as the distinct-entity
semantics wants b != a.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kg.index import EntityIndex, class_table
from ..vocab import predicates, stored_predicates
from .formula import (
    And,
    Atom,
    Count,
    Exists,
    ForAll,
    Formula,
    Not,
    Or,
    conjuncts,
    is_class_atom,
    negate,
    split_conjuncts,
)
from .plan import Clause
from .worlds import Env, count_form

_COMPARE = {">=": np.greater_equal, "<=": np.less_equal, "=": np.equal}
STORED = stored_predicates()


def decide(index: EntityIndex, clause: Clause, candidates: np.ndarray) -> dict[int, Env] | None:
    """world -> witness for the candidate worlds where the clause holds, or None when the
    clause is not of these shapes."""
    formula = clause.formula
    if len(clause.variables) == 1:
        members = _members(index, clause.variables[0], formula, candidates)
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
            members = _members(index, variable, body, candidates)
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
            return _COMPARE[op], n, u, body
        case Exists(variables=(u,), body=body):
            return np.greater_equal, 1, u, body
        case ForAll(variables=(u,), body=body):
            return np.less_equal, 0, u, negate(body)
    return None


def _members(
    index: EntityIndex, variable: str, f: Formula, candidates: np.ndarray
) -> np.ndarray | None:
    """The rows of the candidate worlds that make f true of `variable`, when f is a
    conjunction of class conditions and partner counts on it; else None."""
    parts = split_conjuncts(f)
    tables = [_table(p, variable) for p in parts]
    counts = [counted_partners(p, variable) for p, t in zip(parts, tables) if t is None]
    classes = [t for t in tables if t is not None]
    if not classes or None in counts:
        return None
    in_candidates = np.zeros(index.worlds, dtype=bool)
    in_candidates[candidates] = True
    keep = np.logical_and.reduce(classes)[index.cls] & in_candidates[index.world_of_row]
    for partners in counts:
        keep &= partners.met(partner_counts(index, partners))
    return np.flatnonzero(keep)


def _table(f: Formula, variable: str) -> np.ndarray | None:
    """Booleans by class code: which classes make `f` true of `variable`, when `f` is
    made of class atoms on it with and, or, not; else None."""
    match f:
        case Atom(predicate=name, args=(v,)) if v == variable:
            return class_table(frozenset((name,)))
        case Not(body=body):
            inner = _table(body, variable)
            return None if inner is None else ~inner
        case And(parts=parts) | Or(parts=parts):
            found = [_table(p, variable) for p in parts]
            if any(t is None for t in found):
                return None
            return (np.logical_and if isinstance(f, And) else np.logical_or).reduce(found)
    return None


@dataclass(frozen=True)
class Partners:
    """A variable's partners of some classes by one stored relation, whose number must meet
    `op n`."""

    relation: str  # the stored relation
    second: bool  # the variable is the stored pairs' second member
    classes: np.ndarray = field(compare=False)  # booleans by class code: the partners' classes
    op: str
    n: int

    def met(self, counts: np.ndarray) -> np.ndarray:
        return _COMPARE[self.op](counts, self.n)


def partner_counts(index: EntityIndex, partners: Partners) -> np.ndarray:
    """Per index row, how many such partners it has (counted on the stored pairs)."""
    pairs = index.pairs[partners.relation]
    mine, theirs = (pairs[:, 1], pairs[:, 0]) if partners.second else (pairs[:, 0], pairs[:, 1])
    return np.bincount(mine[partners.classes[index.cls[theirs]]], minlength=len(index))


def counted_partners(f: Formula, variable: str) -> Partners | None:
    """f as a count of partners of `variable` (worlds.count_form: exists, forall, counts and
    their negations) whose body is class atoms on the partner and one stored relation between
    it and `variable`; else None."""
    counted = count_form(f)
    if counted is None:
        return None
    op, n, partner, body = counted
    parts = conjuncts(body)
    tables = [_table(p, partner) for p in parts]
    classes = [t for t in tables if t is not None]
    links = [p for p, t in zip(parts, tables) if t is None]
    if not classes or len(links) != 1 or not isinstance(links[0], Atom):
        return None
    link = links[0]
    if link.predicate not in STORED or set(link.args) != {variable, partner}:
        return None
    stored, swapped = predicates()[link.predicate].stored_as
    second = (link.args[0] == variable) == swapped
    return Partners(stored.name, second, np.logical_and.reduce(classes), op, n)


def _most_confident(index: EntityIndex, variable: str, rows: np.ndarray) -> dict[int, Env]:
    """world -> {variable: its most confident row among `rows`} (ties: the first row)."""
    if not len(rows):
        return {}
    world = index.world_of_row[rows]
    order = np.lexsort((rows, -index.conf[rows], world))  # by world, most confident first
    first = order[np.concatenate([[True], world[order][1:] != world[order][:-1]])]
    return {int(w): {variable: int(r)} for w, r in zip(world[first], rows[first])}
