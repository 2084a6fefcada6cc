"""Pairs of entities of the same world, over the whole entity index at once: listing them,
the truth of a quantifier-free formula on each, and how many partners each entity has.

A pair is two global rows of the index (i, j), i != j. These are the vectorised parts shared by
unary.py (one-variable clauses) and pairs.py (two-variable clauses).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..kg.geometry import Thresholds, sorted_unique
from ..kg.index import EntityIndex, class_table, spans
from ..vocab import materialised, predicates, stored_predicates
from . import headings
from .formula import And, Atom, Formula, Implies, Not, Or, conjuncts, free_variables
from .plan import ALL_CLASSES
from .worlds import count_form, measured

MAX_PAIRS = 4_000_000  # pairs listed at once at most
# A world with more pairs is searched instead (pairs.py): the search stops at its first
# witness, where listing every pair costs more (benchmarks/queries.py: storage tanks far from
# each other, 178 ms listed, 21 ms so).
SEARCHED_PAIRS = 5_000
STORED = stored_predicates()
BOTH_WAYS = frozenset(r.name for r in materialised() if r.symmetric)  # the index has (i, j), (j, i)
COMPARE = {">=": np.greater_equal, "<=": np.less_equal, "=": np.equal}  # a count's op


def pair_arrays(
    index: EntityIndex, first: np.ndarray, second: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j), i in first and j in second (sorted), of the same world and i != j."""
    world_of_first, world_of_second = index.world_of_row[first], index.world_of_row[second]
    per_world = np.bincount(world_of_second, minlength=index.worlds)
    start = np.concatenate([[0], np.cumsum(per_world)])[:-1]
    partners = per_world[world_of_first]
    i = np.repeat(first, partners)
    j = second[spans(start[world_of_first], partners)]
    keep = i != j
    return i[keep], j[keep]


def pairs_per_world(index: EntityIndex, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """How many (i, j), i in first and j in second, each world holds (i == j included)."""
    return np.bincount(index.world_of_row[first], minlength=index.worlds) * np.bincount(
        index.world_of_row[second], minlength=index.worlds
    )


def world_groups(per_world: np.ndarray, dense: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The worlds with pairs (`per_world`: how many, by world) in groups of at most MAX_PAIRS
    pairs or of one world (the worlds of each group, in order), but the `dense` ones (booleans
    by world), returned apart."""
    worlds = np.flatnonzero(per_world)
    left = worlds[dense[worlds]]
    worlds = worlds[~dense[worlds]]
    return [worlds[a:b] for a, b in _chunks(np.cumsum(per_world[worlds]))], left


def _chunks(ends: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive [start, end) spans of items whose pairs number at most MAX_PAIRS together
    (or one item); `ends` is the running total of pairs up to each item."""
    spans, start = [], 0
    while start < len(ends):
        done = ends[start - 1] if start else 0
        end = max(start + 1, int(np.searchsorted(ends, done + MAX_PAIRS, side="right")))
        spans.append((start, end))
        start = end
    return spans


def stored_atom(part: Formula) -> bool:
    """A relation atom whose pairs the index stores (listed from them, not from every pair)."""
    return isinstance(part, Atom) and part.predicate in STORED


def in_worlds(index: EntityIndex, rows: np.ndarray, worlds: np.ndarray) -> np.ndarray:
    """The rows of `rows` that belong to `worlds`."""
    wanted = np.zeros(index.worlds, dtype=bool)
    wanted[worlds] = True
    return rows[wanted[index.world_of_row[rows]]]


def stored_link(
    index: EntityIndex,
    parts: tuple[Formula, ...],
    x: str,
    y: str,
    first: np.ndarray,
    second: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, Atom] | None:
    """When a conjunct requires a stored relation between x and y: that relation's stored
    pairs (i, j) between `first` and `second` rows (far fewer than all pairs), read from the
    rows of one side (sorted), the fewer when the relation is stored both ways; and the
    conjunct, which holds on them."""
    for part in parts:
        if stored_atom(part) and set(part.args) == {x, y} and part.args[0] != part.args[1]:
            stored, swapped = predicates()[part.predicate].stored_as
            backwards = (part.args == (y, x)) != swapped  # stored from y to x
            mine, theirs = (second, first) if backwards else (first, second)
            if stored.name in BOTH_WAYS and len(theirs) < len(mine):
                mine, theirs, backwards = theirs, mine, not backwards
            a, b = index.pairs_from(stored.name, mine).T
            wanted = np.zeros(len(index), dtype=bool)
            wanted[theirs] = True
            keep = wanted[b]
            return (b[keep], a[keep], part) if backwards else (a[keep], b[keep], part)
    return None


def _stored(index: EntityIndex, name: str, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether each (i[k], j[k]) is a stored pair of relation `name`. When the pairs asked are
    sorted and outnumber the stored ones (the common case), the stored ones are looked up among
    them rather than the reverse."""
    codes = index.pair_codes[name]
    wanted = i * len(index) + j
    if not len(codes) or not len(wanted):
        return np.zeros(len(wanted), dtype=bool)
    # only the stored pairs from the rows asked (a chunk's rows are a slice of the index)
    codes = codes[slice(*index.pair_offsets(name)[[i.min(), i.max() + 1]])]
    if not len(codes):
        return np.zeros(len(wanted), dtype=bool)
    if len(codes) < len(wanted) and bool(np.all(wanted[1:] > wanted[:-1])):
        found = np.zeros(len(wanted), dtype=bool)
        at = np.searchsorted(wanted, codes)
        inside = at < len(wanted)
        at, present = at[inside], codes[inside]
        found[at[wanted[at] == present]] = True
        return found
    at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
    return codes[at] == wanted


def relation(
    index: EntityIndex, name: str, i: np.ndarray, j: np.ndarray, t: Thresholds
) -> np.ndarray:
    """name(i[k], j[k]) for global rows of distinct entities of the same world."""
    if name in STORED:
        stored, swapped = predicates()[name].stored_as
        return _stored(index, stored.name, j, i) if swapped else _stored(index, stored.name, i, j)
    result = measured(name, lambda m: getattr(index, m)[i], lambda m: getattr(index, m)[j], t)
    if name == "far_from":  # the pairs the bound leaves open are far when stored so
        open_ = np.flatnonzero(~result)
        result[open_] = _stored(index, "far_within_bound", i[open_], j[open_])
    return result


def truth(index: EntityIndex, f: Formula, rows: dict[str, np.ndarray], t: Thresholds) -> np.ndarray:
    """The quantifier-free f on every pair; rows maps each variable to its row per pair."""
    match f:
        case Atom(predicate=p, args=(x,)):
            return class_table(frozenset((p,)))[index.cls[rows[x]]]
        case Atom(predicate=p, args=(x, y)):
            if x == y:
                return np.zeros(len(rows[x]), dtype=bool)
            return relation(index, p, rows[x], rows[y], t)
        case Not(body=body):
            return ~truth(index, body, rows, t)
        case And(parts=parts):
            return np.logical_and.reduce([truth(index, p, rows, t) for p in parts])
        case Or(parts=parts):
            return np.logical_or.reduce([truth(index, p, rows, t) for p in parts])
        case Implies(premise=p, conclusion=c):
            return ~truth(index, p, rows, t) | truth(index, c, rows, t)
    raise TypeError(f"not a quantifier-free formula: {f!r}")


@dataclass(frozen=True)
class Partners:
    """The entities u (the partners) of `classes` that make `body` true of a variable's entity:
    their number must meet `op n`. When body's only relation is one stored relation, the
    partners are counted on its stored pairs (`stored`: (relation, whether the variable is
    the pairs' second)); when it is parallel alone, in a window of headings (`by_heading`,
    headings.py); otherwise body is evaluated on every pair of the variable's and the
    partners' classes, MAX_PAIRS at a time."""

    variable: str
    partner: str
    body: Formula
    classes: np.ndarray = field(compare=False)  # booleans by class code
    op: str
    n: int
    stored: tuple[str, bool] | None
    by_heading: bool = False

    def met(self, counts: np.ndarray) -> np.ndarray:
        return COMPARE[self.op](counts, self.n)


def counted_partners(f: Formula, variable: str) -> Partners | None:
    """f as a count of `variable`'s partners (worlds.count_form: exists, forall, counts and
    their negations, of one variable u whose quantifier-free body speaks of u and `variable`
    only); else None."""
    counted = count_form(f)
    if counted is None:
        return None
    op, n, partner, body = counted
    if not set(free_variables(body)) <= {partner, variable}:
        return None
    conditions, links = class_parts(conjuncts(body), partner)
    classes = np.logical_and.reduce(conditions) if conditions else class_table(ALL_CLASSES)
    stored = None
    if len(links) == 1 and stored_atom(links[0]):
        link = links[0]
        relation, swapped = predicates()[link.predicate].stored_as
        stored = relation.name, (link.args[0] == variable) == swapped
    by_heading = len(links) == 1 and links[0] in (
        Atom("parallel", (variable, partner)),
        Atom("parallel", (partner, variable)),
    )
    return Partners(variable, partner, body, classes, op, n, stored, by_heading)


def partner_pairs(
    index: EntityIndex, partners: Partners, rows: np.ndarray, t: Thresholds
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every (row, partner): each partner of each of the (distinct, sorted) `rows`, in parts of
    MAX_PAIRS pairs at most (stored pairs: at once), each with all of its rows' partners."""
    if partners.stored is not None:
        mine, theirs = _stored_pairs(index, partners, rows)
        asked = np.zeros(len(index), dtype=bool)
        asked[rows] = True
        keep = asked[mine] & partners.classes[index.cls[theirs]]
        yield mine[keep], theirs[keep]
        return
    candidates = _candidates(index, partners, rows)
    window = _window(index, partners, rows, candidates, t)
    if window is not None:
        yield window.pairs(rows)
        return
    yield from _evaluated_pairs(index, partners, rows, candidates, t)


def _evaluated_pairs(
    index: EntityIndex,
    partners: Partners,
    rows: np.ndarray,
    candidates: np.ndarray,
    t: Thresholds,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """partner_pairs from every pair of `rows` and `candidates` (_candidates) that body
    holds on, MAX_PAIRS pairs at a time at most."""
    per_world = np.bincount(index.world_of_row[candidates], minlength=index.worlds)
    for start, end in _chunks(np.cumsum(per_world[index.world_of_row[rows]])):
        i, j = pair_arrays(index, rows[start:end], candidates)
        holds = truth(index, partners.body, {partners.variable: i, partners.partner: j}, t)
        yield i[holds], j[holds]


def _candidates(index: EntityIndex, partners: Partners, rows: np.ndarray) -> np.ndarray:
    """The rows of the partners' classes in the worlds of `rows`."""
    classes = np.flatnonzero(partners.classes[index.cls])
    return in_worlds(index, classes, index.world_of_row[rows])


def _window(
    index: EntityIndex,
    partners: Partners,
    rows: np.ndarray,
    candidates: np.ndarray,
    t: Thresholds,
) -> headings.Window | None:
    """The window of headings that finds the partners, when they are parallel ones."""
    if partners.by_heading and headings.usable(index, np.concatenate([rows, candidates]), t):
        return headings.Window(index, candidates, t)
    return None


def _stored_pairs(
    index: EntityIndex, partners: Partners, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row, partner) of the stored pairs of the relation that partners.stored names, from
    `rows` (distinct, sorted), whatever the partner's class; read backwards (the rows as the
    pairs' second), every pair of their worlds, other rows included."""
    name, second = partners.stored
    if second and name not in BOTH_WAYS:  # pairs are read by their first row
        pairs = index.pairs_within(name, sorted_unique(index.world_of_row[rows]))
        return pairs[:, 1], pairs[:, 0]
    mine, theirs = index.pairs_from(name, rows).T  # (symmetric ones are stored both ways)
    return mine, theirs


def partner_counts(
    index: EntityIndex, partners: Partners, rows: np.ndarray, t: Thresholds
) -> np.ndarray:
    """How many partners each of `rows` (which may repeat a row) has."""
    asked = np.zeros(len(index), dtype=bool)
    asked[rows] = True
    asked = np.flatnonzero(asked)
    if partners.stored is not None:  # counted from the pairs, no partner listed
        mine, theirs = _stored_pairs(index, partners, asked)
        return np.bincount(mine[partners.classes[index.cls[theirs]]], minlength=len(index))[rows]
    candidates = _candidates(index, partners, asked)
    window = _window(index, partners, asked, candidates, t)
    counts = np.zeros(len(index), dtype=np.int64)
    if window is not None:
        counts[asked] = window.counts(asked)
        return counts[rows]
    for mine, _ in _evaluated_pairs(index, partners, asked, candidates, t):
        counts += np.bincount(mine, minlength=len(index))
    return counts[rows]


def class_parts(
    parts: tuple[Formula, ...], variable: str
) -> tuple[list[np.ndarray], list[Formula]]:
    """The class conditions (class_condition) among `parts`, and the other parts."""
    tables = [class_condition(p, variable) for p in parts]
    others = [p for p, table in zip(parts, tables) if table is None]
    return [table for table in tables if table is not None], others


def class_condition(f: Formula, variable: str) -> np.ndarray | None:
    """Booleans by class code: which classes make `f` true of `variable`, when `f` is
    made of class atoms on it with and, or, not; else None."""
    match f:
        case Atom(predicate=name, args=(v,)) if v == variable:
            return class_table(frozenset((name,)))
        case Not(body=body):
            inner = class_condition(body, variable)
            return None if inner is None else ~inner
        case And(parts=parts) | Or(parts=parts):
            found = [class_condition(p, variable) for p in parts]
            if any(t is None for t in found):
                return None
            return (np.logical_and if isinstance(f, And) else np.logical_or).reduce(found)
    return None
