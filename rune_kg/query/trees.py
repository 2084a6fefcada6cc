"""Clauses of three or more variables whose conditions are quantifier-free and link the
variables together ("five small vehicles in a row", "four ships in a row, the first near a
harbor", "three ships near each other, the first parallel to the third"), decided over every
candidate world at once.

The links (the conditions on one pair of variables) are split into a spanning tree, stored
relations first, and the links that close a cycle. Each tree link lists its pairs across the
worlds: a stored relation's pairs, else every pair of the two variables' rows in a world, its
conditions evaluated with numpy; but a link that is one direction ("b right of a") and would
list more than rowpairs.SEARCHED_PAIRS pairs in a world lists none: which rows have a partner
in that direction is a dominance test (cones.py). Semi-joins along the tree then leave each
variable the rows that have a completion on the tree (one pass up and one down suffice). The
witness is fixed variable by variable in the plan's order, each the most confident row left
in its world (ties: the first row), and each choice is passed along the tree; the links that
close a cycle are then checked on it.

The semi-joins keep neither the entities distinct nor the cycles' links. A witness that keeps
them is the search's own: each of its entities is the most confident with a completion on the
tree, and the witness meets the whole clause, so each is the most confident with a completion
of the clause. A world whose witness repeats an entity ("near" chains: a, b, then a again) or
fails a cycle's link is enumerated instead (_enumerated): every completion of its first
variable's best candidates, ranked as the search ranks them (a direction's pairs listed for
it). A world the enumeration leaves undecided, and a world of more than
rowpairs.SEARCHED_PAIRS pairs on a tree link without a stored relation (or on a direction,
when enumerated), go to the per-world search, which stops at its first witness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kg.geometry import Thresholds
from ..kg.index import EntityIndex, class_table, spans
from . import cones, rowpairs
from .formula import Atom, Formula, canonical, free_variables, rename, split_conjuncts
from .plan import Clause, class_range
from .rowpairs import (
    in_worlds,
    pair_arrays,
    pairs_per_world,
    stored_atom,
    stored_link,
    truth,
    world_groups,
)
from .worlds import quantifier_free


@dataclass(frozen=True)
class _Link:
    """The conjuncts on exactly the variables x and y."""

    x: str
    y: str
    parts: tuple[Formula, ...]


def _links(clause: Clause) -> tuple[list[_Link], list[_Link]] | None:
    """The clause's links, as a spanning tree over its variables (links with a stored relation
    first) and the links that close cycles, when every conjunct is quantifier-free on one or
    two variables and the links connect the variables; else None."""
    linked: dict[tuple[str, str], list[Formula]] = {}
    for part in split_conjuncts(clause.formula):
        own = free_variables(part)
        if not quantifier_free(part) or len(own) not in (1, 2):
            return None
        if len(own) == 2:
            linked.setdefault(tuple(sorted(own)), []).append(part)
    links = [_Link(x, y, tuple(parts)) for (x, y), parts in linked.items()]
    links.sort(key=lambda link: not any(map(stored_atom, link.parts)))  # stable
    component = {v: v for v in clause.variables}  # union-find: variable -> a representative

    def root(v: str) -> str:
        while component[v] != v:
            v = component[v]
        return v

    tree, cycles = [], []
    for link in links:
        x, y = root(link.x), root(link.y)
        (cycles if x == y else tree).append(link)
        component[x] = y
    if len(tree) != len(clause.variables) - 1:
        return None  # not connected
    return tree, cycles


def applies(clause: Clause) -> bool:
    return len(clause.variables) >= 3 and _links(clause) is not None


def _domains(
    index: EntityIndex,
    clause: Clause,
    parts: tuple[Formula, ...],
    worlds: np.ndarray,
    t: Thresholds,
) -> dict[str, np.ndarray]:
    """Each variable's rows of `worlds` that meet its one-variable conditions; variables of the
    same conditions share one array (so that their links can share their pairs)."""
    shared: dict[tuple, np.ndarray] = {}
    domains = {}
    for v in clause.variables:
        own = [p for p in parts if free_variables(p) == (v,)]
        key = (class_range(v, parts), tuple(sorted(canonical(rename(p, v, "?")) for p in own)))
        if key not in shared:
            rows = np.flatnonzero(class_table(key[0])[index.cls])
            rows = in_worlds(index, rows, worlds)
            for part in own:
                rows = rows[truth(index, part, {v: rows}, t)]
            shared[key] = rows
        domains[v] = shared[key]
    return domains


def _shape(link: _Link, domains: dict[str, np.ndarray]) -> tuple:
    """What a link's pairs depend on: its conditions with x and y renamed, and its variables'
    domains (links of one shape, as in a chain, list their pairs once)."""
    renamed = (canonical(rename(rename(p, link.x, "?x"), link.y, "?y")) for p in link.parts)
    return tuple(sorted(renamed)), id(domains[link.x]), id(domains[link.y])


@dataclass
class _Edge:
    """A link's pairs, as positions in the group's rows: x[k] and y[k] are linked."""

    link: _Link
    x: np.ndarray
    y: np.ndarray

    def ends(self, v: str) -> tuple[np.ndarray, np.ndarray]:
        """(v's side, the other side)."""
        return (self.x, self.y) if v == self.link.x else (self.y, self.x)

    def supported(self, v: str, alive: np.ndarray, alive_other: np.ndarray) -> np.ndarray:
        """Which positions of v have a pair with a live position of the other variable."""
        mine, theirs = self.ends(v)
        found = np.zeros(len(alive), dtype=bool)
        found[mine[alive_other[theirs]]] = True
        return found


@dataclass
class _Cone:
    """A link that is one direction (cones.py), its pairs never listed: x and y are the
    positions of its variables' rows; partners[v] tells which positions of v have a partner."""

    link: _Link
    x: np.ndarray
    y: np.ndarray
    partners: dict[str, cones.Dominance]

    def supported(self, v: str, alive: np.ndarray, alive_other: np.ndarray) -> np.ndarray:
        return self.partners[v].dominated(alive, alive_other)


def _direction(link: _Link) -> Atom | None:
    """The link's condition when it is one direction between its two variables."""
    match link.parts:
        case (Atom(predicate=name, args=(x, y)) as atom,) if name in cones.KEYS and x != y:
            return atom
    return None


def _exact(index: EntityIndex, rows: np.ndarray) -> bool:
    """Whether the dominance test of a direction is exact on the centroids of `rows`."""
    return cones.exact(index.cx[rows], index.cy[rows])


def decide(
    index: EntityIndex, clause: Clause, order: tuple[str, ...], worlds: np.ndarray, t: Thresholds
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """world -> witness (variable -> global row) for every world where the clause holds, and
    the worlds left to the per-world search."""
    parts = split_conjuncts(clause.formula)
    links, cycles = _links(clause)
    rows = _domains(index, clause, parts, worlds, t)
    shapes = {link: _shape(link, rows) for link in links}
    by_shape = {shape: link for link, shape in shapes.items()}  # one link of each shape
    stored, per_world = {}, np.zeros(index.worlds, dtype=np.int64)
    dense = np.zeros(index.worlds, dtype=bool)
    directions = set()  # the shapes of directions whose pairs are too many to list
    for shape, link in by_shape.items():
        found = stored_link(index, link.parts, link.x, link.y, rows[link.x], rows[link.y])
        if found is not None:
            stored[shape] = found
            per_world += np.bincount(index.world_of_row[found[0]], minlength=index.worlds)
            continue
        listed = pairs_per_world(index, rows[link.x], rows[link.y])
        if (
            _direction(link) is not None
            and (listed > rowpairs.SEARCHED_PAIRS).any()
            and _exact(index, np.concatenate([rows[link.x], rows[link.y]]))
        ):
            directions.add(shape)
            per_world += np.bincount(index.world_of_row[rows[link.x]], minlength=index.worlds)
        else:
            per_world += listed
            dense |= listed > rowpairs.SEARCHED_PAIRS
    groups, left = world_groups(per_world, dense)
    witnesses: dict[int, dict[str, int]] = {}
    repeated = []
    for group in groups:
        in_group = np.zeros(index.worlds, dtype=bool)
        in_group[group] = True
        shared = {id(r): in_worlds(index, r, group) for r in rows.values()}
        members = {v: shared[id(r)] for v, r in rows.items()}
        in_rows = np.zeros(len(index), dtype=bool)
        for r in shared.values():
            in_rows[r] = True
        group_rows = np.flatnonzero(in_rows)
        first = group_rows[0]  # global row -> position in group_rows, over their span only
        position = np.zeros(group_rows[-1] - first + 1, dtype=np.int64)
        position[group_rows - first] = np.arange(len(group_rows))
        listed = {}
        for shape, link in by_shape.items():
            if shape in directions:
                continue
            if shape in stored:
                i, j, atom = stored[shape]
                keep = in_group[index.world_of_row[i]]
                i, j = i[keep], j[keep]
            else:
                i, j = pair_arrays(index, members[link.x], members[link.y])
                atom = None
            for part in link.parts:
                if part is not atom:
                    keep = truth(index, part, {link.x: i, link.y: j}, t)
                    i, j = i[keep], j[keep]
            listed[shape] = position[i - first], position[j - first]
        edges, dominance = [], {}  # (direction, first, domains) -> its cones.Dominance
        for link in links:
            if shapes[link] not in directions:
                edges.append(_Edge(link, *listed[shapes[link]]))
                continue
            atom = _direction(link)
            x, y = (position[members[v] - first] for v in (link.x, link.y))
            partners = {}
            for v in (link.x, link.y):
                key = (atom.predicate, v == atom.args[0], id(members[link.x]), id(members[link.y]))
                if key not in dominance:
                    both = np.zeros(len(group_rows), dtype=bool)
                    both[x] = both[y] = True
                    both = np.flatnonzero(both)
                    at = group_rows[both]
                    coordinates = cones.keys(index.cx[at], index.cy[at], *key[:2])
                    dominance[key] = cones.Dominance(both, index.world_of_row[at], coordinates)
                partners[v] = dominance[key]
            edges.append(_Cone(link, x, y, partners))
        found, again = _greedy(index, order, group_rows, edges, cycles, t)
        witnesses.update(found)
        repeated.append(again)
    return witnesses, np.concatenate([left, *repeated])


def _greedy(
    index: EntityIndex,
    order: tuple[str, ...],
    rows: np.ndarray,
    edges: list[_Edge | _Cone],
    cycles: list[_Link],
    t: Thresholds,
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """The greedy witnesses of one group of worlds (`rows`: its rows; the edges' positions are
    into them), and the worlds left to the search: those whose witness on the tree repeats an
    entity or fails a link of `cycles`, and that the enumeration (_enumerated) leaves."""
    alive = {}
    for edge in edges:
        for v, side in ((edge.link.x, edge.x), (edge.link.y, edge.y)):
            present = np.zeros(len(rows), dtype=bool)
            present[side] = True
            alive[v] = alive[v] & present if v in alive else present
    tree = _walk(order[0], edges)
    for parent, child, edge in reversed(tree):  # leaves to root
        _semijoin(alive, parent, child, edge)
    for parent, child, edge in tree:  # root to leaves
        _semijoin(alive, child, parent, edge)
    if not alive[order[0]].any():
        return {}, np.zeros(0, dtype=np.int64)
    consistent = {v: rows_alive.copy() for v, rows_alive in alive.items()}
    world = index.world_of_row[rows]
    for v in order:
        candidates = np.flatnonzero(alive[v])
        ranked, firsts = _ranked(index, rows, world, candidates)
        alive[v] = np.zeros(len(rows), dtype=bool)
        alive[v][ranked[firsts]] = True
        for parent, child, edge in _walk(v, edges):
            _semijoin(alive, child, parent, edge)
    chosen = np.stack([rows[alive[v]] for v in order])  # one row per world, world order
    found = index.world_of_row[chosen[0]]
    holds = _holds(index, order, chosen, cycles, t)
    witnesses = _witnesses(order, found[holds], chosen[:, holds])
    undecided, searched = found[~holds], np.zeros(0, dtype=np.int64)
    if any(isinstance(edge, _Cone) for edge in edges):  # the enumeration wants their pairs
        undecided, searched = _sparse(index, rows, edges, undecided)
        edges = [
            _listed(index, rows, e, undecided, t) if isinstance(e, _Cone) else e for e in edges
        ]
    more, left = _enumerated(index, order, rows, edges, cycles, consistent, undecided, t)
    witnesses.update(more)
    return witnesses, np.concatenate([left, searched])


def _sparse(
    index: EntityIndex, rows: np.ndarray, edges: list, worlds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`worlds` split in two: those where each direction's pairs number at most
    rowpairs.SEARCHED_PAIRS, and the others."""
    dense = np.zeros(index.worlds, dtype=bool)
    for edge in edges:
        if isinstance(edge, _Cone):
            dense |= pairs_per_world(index, rows[edge.x], rows[edge.y]) > rowpairs.SEARCHED_PAIRS
    return worlds[~dense[worlds]], worlds[dense[worlds]]


def _listed(
    index: EntityIndex, rows: np.ndarray, edge: _Cone, worlds: np.ndarray, t: Thresholds
) -> _Edge:
    """A direction's pairs in `worlds`, listed."""
    wanted = np.zeros(index.worlds, dtype=bool)
    wanted[worlds] = True
    world = index.world_of_row[rows]
    x, y = edge.x[wanted[world[edge.x]]], edge.y[wanted[world[edge.y]]]
    i, j = pair_arrays(index, rows[x], rows[y])
    keep = truth(index, edge.link.parts[0], {edge.link.x: i, edge.link.y: j}, t)
    return _Edge(edge.link, np.searchsorted(rows, i[keep]), np.searchsorted(rows, j[keep]))


def _ranked(
    index: EntityIndex, rows: np.ndarray, world: np.ndarray, candidates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates (positions into `rows`, `world` by position) grouped by world and ranked
    as the search tries them, most confident first and then by row; and where each world's
    group starts."""
    ranked = candidates[np.lexsort((candidates, -index.conf[rows[candidates]], world[candidates]))]
    return ranked, np.flatnonzero(np.concatenate([[True], world[ranked][1:] != world[ranked][:-1]]))


def _holds(
    index: EntityIndex,
    order: tuple[str, ...],
    chosen: np.ndarray,
    cycles: list[_Link],
    t: Thresholds,
) -> np.ndarray:
    """Whether each column of `chosen` (global rows, variables in `order`) has distinct entities
    and meets the links of `cycles`."""
    ordered = np.sort(chosen, axis=0)
    holds = np.all(ordered[1:] != ordered[:-1], axis=0)
    bound = dict(zip(order, chosen))
    for link in cycles:
        for part in link.parts:
            holds &= truth(index, part, bound, t)
    return holds


def _witnesses(order: tuple[str, ...], worlds: np.ndarray, chosen: np.ndarray) -> dict:
    return {
        int(w): {v: int(r) for v, r in zip(order, column)}  # in order, as search binds them
        for w, column in zip(worlds, chosen.T)
    }


# Candidates of the first variable a world's enumeration tries before the search (the six
# tree formulas of benchmarks/queries.py, CPU ms summed: 1 round 766, 3 661, 10 632, 30 630).
ROUNDS = 10


def _enumerated(
    index: EntityIndex,
    order: tuple[str, ...],
    rows: np.ndarray,
    edges: list[_Edge],
    cycles: list[_Link],
    consistent: dict[str, np.ndarray],
    worlds: np.ndarray,
    t: Thresholds,
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """The greedy witnesses of `worlds` by enumeration, and the worlds left to the search. In
    each round, every world's next candidate for the first variable (ranked as the search tries
    them, among the `consistent` rows) is extended along the tree in every way, and the
    completions that keep the entities distinct and meet `cycles` are ranked as the search
    would: a world with one takes the first. A world whose candidates run out has no witness;
    one that still has a candidate after ROUNDS, or whose completions of a candidate number
    more than rowpairs.SEARCHED_PAIRS, is left to the search."""
    world = index.world_of_row[rows]
    open_ = np.zeros(index.worlds, dtype=bool)
    open_[worlds] = True
    root = order[0]
    ranked, starts = _ranked(index, rows, world, np.flatnonzero(consistent[root] & open_[world]))
    rank = np.arange(len(ranked)) - np.repeat(starts, np.diff(np.append(starts, len(ranked))))
    tree = _walk(root, edges)
    adjacency = [_adjacency(edge, parent, consistent[child]) for parent, child, edge in tree]
    witnesses: dict[int, dict[str, int]] = {}
    searched = np.zeros(index.worlds, dtype=bool)  # left to the search
    for round_ in range(ROUNDS):
        open_ &= ~searched
        table = {root: ranked[(rank == round_) & open_[world[ranked]]]}
        if not len(table[root]):
            break
        for (parent, child, _), (offsets, partners) in zip(tree, adjacency):
            at = table[parent]
            degree = offsets[at + 1] - offsets[at]
            size = np.bincount(world[table[root]], weights=degree, minlength=index.worlds)
            keep = size[world[table[root]]] <= rowpairs.SEARCHED_PAIRS
            searched[world[table[root][~keep]]] = True
            table = {v: column[keep] for v, column in table.items()}
            at, degree = at[keep], degree[keep]
            take = np.repeat(np.arange(len(at)), degree)
            table = {v: column[take] for v, column in table.items()}
            table[child] = partners[spans(offsets[at], degree)]
        chosen = np.stack([rows[table[v]] for v in order])
        chosen = chosen[:, _holds(index, order, chosen, cycles, t)]
        if not chosen.shape[1]:
            continue
        keys = []  # the later variables, each by confidence then row (lexsort: last key first)
        for row in chosen[:0:-1]:
            keys += [row, -index.conf[row]]
        chosen = chosen[:, np.lexsort((*keys, index.world_of_row[chosen[0]]))]
        done = index.world_of_row[chosen[0]]
        first = np.concatenate([[True], done[1:] != done[:-1]])
        witnesses.update(_witnesses(order, done[first], chosen[:, first]))
        open_[done] = False
    searched[world[ranked[(rank >= ROUNDS) & open_[world[ranked]]]]] = True
    return witnesses, np.flatnonzero(searched)


def _adjacency(edge: _Edge, parent: str, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edge's pairs from `parent` to the live rows of the other side, as compressed rows:
    the partners of position p are partners[offsets[p]:offsets[p + 1]]."""
    mine, theirs = edge.ends(parent)
    keep = alive[theirs]
    mine, theirs = mine[keep], theirs[keep]
    by_parent = np.argsort(mine, kind="stable")
    offsets = np.zeros(len(alive) + 1, dtype=np.int64)
    np.cumsum(np.bincount(mine, minlength=len(alive)), out=offsets[1:])
    return offsets, theirs[by_parent]


def _walk(root: str, edges: list) -> list[tuple[str, str, _Edge | _Cone]]:
    """The tree's edges as (parent, child, edge), each parent before its children."""
    walked, reached, frontier = [], {root}, [root]
    while frontier:
        parent = frontier.pop(0)
        for edge in edges:
            ends = (edge.link.x, edge.link.y)
            if parent in ends:
                child = ends[1] if ends[0] == parent else ends[0]
                if child not in reached:
                    reached.add(child)
                    walked.append((parent, child, edge))
                    frontier.append(child)
    return walked


def _semijoin(alive: dict[str, np.ndarray], kept: str, by: str, edge: _Edge | _Cone) -> None:
    """Keep the rows of `kept` that have a pair with a live row of `by`."""
    alive[kept] &= edge.supported(kept, alive[kept], alive[by])
