"""Two-variable clauses, decided over every candidate world at once: their conditions are
quantifier-free, or count one variable's partners (rowpairs.Partners).

"a ship left of a harbor" is the commonest query shape. Instead of a search per world, every
(x, y) pair of the right classes within the same world is listed in one array, the clause's
conditions are evaluated on the whole array with numpy, and each world's greedy witness (the
most confident x that has a partner, then its most confident partner) is picked by sorting.
The result equals worlds.search's on every world. A world of many pairs (a dense class: 700
storage tanks) is left to that search, which stops at its first witness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kg.geometry import Thresholds
from ..kg.index import EntityIndex, class_table
from . import rowpairs
from .formula import (
    Atom,
    Formula,
    free_variables,
    is_class_atom,
    rename,
    split_conjuncts,
)
from .plan import Clause, class_range, waits_for
from .rowpairs import (
    Partners,
    counted_partners,
    in_worlds,
    pair_arrays,
    pairs_per_world,
    partner_counts,
    stored_link,
    truth,
    world_groups,
)
from .worlds import quantifier_free


def applies(clause: Clause) -> bool:
    """Two variables; every condition quantifier-free (class atoms on one variable) or a count
    of one variable's partners (_counted)."""
    if len(clause.variables) != 2:
        return False
    return all(
        (quantifier_free(part) and (len(free_variables(part)) == 2 or is_class_atom(part)))
        or _counted(clause, part) is not None
        for part in split_conjuncts(clause.formula)
    )


@dataclass(frozen=True)
class _Counted:
    """The partners of `variable` must meet a count (rowpairs.Partners). When the clause's other
    variable could be such a partner, `other` is the condition under which it is one (the
    partner's conditions with the other variable in its place): it does not count, as
    distinct entities go."""

    variable: str
    partners: Partners
    other: Formula | None


def _counted(clause: Clause, part: Formula) -> _Counted | None:
    """`part` as a count of the partners of one of the clause's variables, or None."""
    own = [v for v in clause.variables if v in free_variables(part)]
    if len(own) != 1:
        return None
    partners = counted_partners(part, own[0])
    if partners is None:
        return None
    other = None
    if len(waits_for(part, clause.variables, split_conjuncts(clause.formula))) > 1:
        other_variable = next(v for v in clause.variables if v != own[0])
        other = rename(partners.body, partners.partner, other_variable)
    return _Counted(own[0], partners, other)


def _rows(
    index: EntityIndex,
    worlds: np.ndarray,
    classes: frozenset[str],
    counted: list[_Counted],
    t: Thresholds,
) -> np.ndarray:
    """The rows of `worlds` of `classes` whose partners meet the `counted` counts."""
    rows = in_worlds(index, np.flatnonzero(class_table(classes)[index.cls]), worlds)
    for count in counted:
        rows = rows[count.partners.met(partner_counts(index, count.partners, rows, t))]
    return rows


def decide(
    index: EntityIndex, clause: Clause, order: tuple[str, ...], worlds: np.ndarray, t: Thresholds
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """world -> witness (variable -> global row) for every world where the clause holds, and
    the worlds left to the per-world search: those of more than SEARCHED_PAIRS pairs, unless a
    stored relation links the variables (then its pairs are few). The other worlds' pairs are
    listed MAX_PAIRS at a time at most."""
    parts = split_conjuncts(clause.formula)
    x, y = order
    counted = [_counted(clause, part) for part in parts if not quantifier_free(part)]
    alone = [c for c in counted if c.other is None]
    first, second = (
        _rows(index, worlds, class_range(v, parts), [c for c in alone if c.variable == v], t)
        for v in (x, y)
    )
    linked = stored_link(index, parts, x, y, first, second)
    if linked:
        return _held(index, parts, counted, x, y, *linked, t), worlds[:0]
    found: dict[int, dict[str, int]] = {}
    per_world = pairs_per_world(index, first, second)
    groups, left = world_groups(per_world, per_world > rowpairs.SEARCHED_PAIRS)
    for group in groups:
        i, j = pair_arrays(index, in_worlds(index, first, group), in_worlds(index, second, group))
        found.update(_held(index, parts, counted, x, y, i, j, None, t))
    return found, left


def _held(
    index: EntityIndex,
    parts: tuple[Formula, ...],
    counted: list[_Counted],
    x: str,
    y: str,
    i: np.ndarray,
    j: np.ndarray,
    link: Atom | None,
    t: Thresholds,
) -> dict[int, dict[str, int]]:
    """The witnesses among the listed pairs (i, j) of x's and y's rows; `link` a conjunct
    known to hold on them."""
    rows = {x: i, y: j}
    keep = np.ones(len(i), dtype=bool)
    for part in parts:
        if is_class_atom(part) or not quantifier_free(part) or part is link:
            continue  # true of the pairs listed: their rows' classes, partners and link
        keep[keep] = truth(index, part, {v: r[keep] for v, r in rows.items()}, t)
    for count in counted:
        if count.other is not None:  # the partners but the other variable's entity
            kept = {v: r[keep] for v, r in rows.items()}
            partners = partner_counts(index, count.partners, kept[count.variable], t)
            keep[keep] = count.partners.met(partners - truth(index, count.other, kept, t))
    return _greedy_witnesses(index, i[keep], j[keep], x, y)


def _greedy_witnesses(
    index: EntityIndex, i: np.ndarray, j: np.ndarray, x: str, y: str
) -> dict[int, dict[str, int]]:
    """Per world of the pairs (i, j) that hold: its most confident x that has a partner (ties:
    the first row), then that x's most confident partner. Sorts the candidate x rows and the
    chosen x's pairs only, not every pair."""
    has_partner = np.zeros(len(index), dtype=bool)
    has_partner[i] = True
    xs = np.flatnonzero(has_partner)
    xs = xs[np.lexsort((xs, -index.conf[xs], index.world_of_row[xs]))]
    world = index.world_of_row[xs]
    chosen = np.zeros(len(index), dtype=bool)
    chosen[xs[np.concatenate([[True], world[1:] != world[:-1]])] if len(xs) else xs] = True
    i, j = i[chosen[i]], j[chosen[i]]
    ranked = np.lexsort((j, -index.conf[j], i))
    i, j = i[ranked], j[ranked]
    first = np.concatenate([[True], i[1:] != i[:-1]]) if len(i) else np.zeros(0, dtype=bool)
    return {int(index.world_of_row[a]): {x: int(a), y: int(b)} for a, b in zip(i[first], j[first])}
