"""Clauses of at most one variable, decided over every candidate world at once with numpy:
- one variable with class atoms (with and, or, not), and any number of partner counts: "a
  ship", "a plane or a helicopter", "a ship with no other ship near it", "a harbor with at
  least 5 ships near it", "a storage tank far from every ship" (rowpairs.Partners);
- closed counts, exists and forall of one variable with such conditions, and conjunctions of
  them: "at least 50 ships", "no plane", "a harbor, and every harbor has a ship near it";
- beside one variable, closed counts of entities with partner counts: "a plane, and every
  other plane has a plane parallel to it" (_Nested).
They are the commonest one-clause queries, and the search per world costs 0.1 to 1 ms a world.
The witness equals evaluate.search's: the world's most confident entity that qualifies, the
first in entity order on ties. Relations are between distinct entities, as the distinct-entity
semantics wants b != a.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kg.geometry import Thresholds, sorted_unique
from ..kg.index import EntityIndex, class_table
from .formula import (
    Count,
    Exists,
    ForAll,
    Formula,
    conjuncts,
    free_variables,
    is_class_atom,
    negate,
    split_conjuncts,
)
from .plan import ALL_CLASSES, Clause
from .rowpairs import (
    COMPARE,
    Partners,
    class_parts,
    counted_partners,
    in_worlds,
    partner_counts,
    partner_pairs,
)
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
    conjunction of class conditions and partner counts on it, and of closed counts of
    _Nested's shape; else None."""
    classes, others = class_parts(split_conjuncts(f), variable)
    counts = [counted_partners(p, variable) for p in others]
    nested = [_Nested.of(p) for p, partners in zip(others, counts) if partners is None]
    counts = [partners for partners in counts if partners is not None]
    if not classes or None in nested:
        return None
    rows = in_worlds(index, np.flatnonzero(np.logical_and.reduce(classes)[index.cls]), candidates)
    for partners in sorted(counts, key=lambda p: p.stored is None):  # stored ones: cheaper
        rows = rows[partners.met(partner_counts(index, partners, rows, t))]
    for count in nested:
        rows = rows[count.met_beside(index, rows, t)]
    return rows


@dataclass(frozen=True)
class _Nested:
    """A closed count, "compare(how many u make body true, n)", whose body is a class
    condition and partner counts on u: "every plane has another plane parallel to it"
    (no plane u has no plane q parallel to it). Beside the clause's variable r, u ranges over
    the entities other than r, and so do u's partners: r may be a u that made the count, or
    the partner that made a u count."""

    op: np.ufunc
    n: int
    classes: np.ndarray  # u's, booleans by class code
    partners: tuple[Partners, ...]  # u's

    @classmethod
    def of(cls, f: Formula) -> _Nested | None:
        counted = _counted(f)
        if counted is None or free_variables(f):
            return None
        op, n, u, body = counted
        classes, others = class_parts(split_conjuncts(body), u)
        partners = [counted_partners(p, u) for p in others]
        if None in partners:
            return None
        classes = np.logical_and.reduce(classes) if classes else class_table(ALL_CLASSES)
        return cls(op, n, classes, tuple(partners))

    def met_beside(self, index: EntityIndex, rows: np.ndarray, t: Thresholds) -> np.ndarray:
        """Whether the count is met beside each of `rows` (sorted, distinct)."""
        worlds = sorted_unique(index.world_of_row[rows])
        members = in_worlds(index, np.flatnonzero(self.classes[index.cls]), worlds)
        is_row = np.zeros(len(index), dtype=bool)
        is_row[rows] = True
        counts = [partner_counts(index, partners, members, t) for partners in self.partners]
        codes, conditions = [], []  # (u, r): r is a partner of u that u's condition k needs
        for k, (partners, partners_of) in enumerate(zip(self.partners, counts)):
            needs = members[partners.met(partners_of) != partners.met(partners_of - 1)]
            for u, partner in partner_pairs(index, partners, needs, t):  # their partners only
                keep = is_row[partner]
                codes.append(
                    np.searchsorted(members, u[keep]) * len(rows)
                    + np.searchsorted(rows, partner[keep])
                )
                conditions.append(np.full(np.count_nonzero(keep), k))
        qualify = np.ones(len(members), dtype=bool)
        for partners, partners_of in zip(self.partners, counts):
            qualify &= partners.met(partners_of)
        total = np.bincount(index.world_of_row[members[qualify]], minlength=index.worlds)
        beside = total[index.world_of_row[rows]]
        at = np.searchsorted(members, rows)
        inside = at < len(members)
        counted = np.zeros(len(rows), dtype=bool)
        counted[inside] = (members[at[inside]] == rows[inside]) & qualify[at[inside]]
        beside -= counted  # r is no u
        if codes:  # nor does r count as a partner of u
            pairs, which = np.unique(np.concatenate(codes), return_inverse=True)
            condition = np.concatenate(conditions)
            u, r = np.divmod(pairs, len(rows))
            qualify_beside = np.ones(len(pairs), dtype=bool)
            for k, (partners, partners_of) in enumerate(zip(self.partners, counts)):
                partner = np.zeros(len(pairs), dtype=np.int64)
                partner[which[condition == k]] = 1
                qualify_beside &= partners.met(partners_of[u] - partner)
            changed = qualify_beside.astype(np.int64) - qualify[u]
            beside += np.bincount(r, weights=changed, minlength=len(rows)).astype(np.int64)
        return self.op(beside, self.n)


def _most_confident(index: EntityIndex, variable: str, rows: np.ndarray) -> dict[int, Env]:
    """world -> {variable: its most confident row among `rows`} (ties: the first row)."""
    if not len(rows):
        return {}
    world = index.world_of_row[rows]
    order = np.lexsort((rows, -index.conf[rows], world))  # by world, most confident first
    first = order[np.concatenate([[True], world[order][1:] != world[order][:-1]])]
    return {int(w): {variable: int(r)} for w, r in zip(world[first], rows[first])}
