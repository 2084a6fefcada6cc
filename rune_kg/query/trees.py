"""Clauses of three or more variables whose conditions are quantifier-free and link the
variables in a tree ("five small vehicles in a row", "four ships in a row, the first near a
harbor"), decided over every candidate world at once.

Each link of the tree (the conditions on one pair of variables) lists its pairs across the
worlds: a stored relation's pairs, else every pair of the two variables' rows in a world,
its conditions evaluated with numpy. Semi-joins along the tree then leave each variable the
rows that have a completion (on a tree, one pass up and one down suffice). The witness is
fixed variable by variable in the plan's order, each the most confident row left in its
world (ties: the first row), and each choice is passed along the tree.

The semi-joins do not keep the entities distinct. A world whose witness repeats an entity is
left to the per-world search, as is a world of more than rowpairs.SEARCHED_PAIRS pairs on a
link without a stored relation (the search stops at its first witness there). Every other
witness is the search's own: each of its entities is the most confident with a completion,
distinct or not, and it has a distinct one, so it is the most confident with a distinct one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kg.geometry import Thresholds
from ..kg.index import EntityIndex, class_table
from . import rowpairs
from .formula import Formula, canonical, free_variables, rename, split_conjuncts
from .plan import Clause, class_range
from .rowpairs import in_worlds, pair_arrays, pairs_per_world, stored_link, truth, world_groups
from .worlds import quantifier_free


@dataclass(frozen=True)
class _Link:
    """The conjuncts on exactly the variables x and y."""

    x: str
    y: str
    parts: tuple[Formula, ...]


def _links(clause: Clause) -> list[_Link] | None:
    """The clause's links, when every conjunct is quantifier-free on one or two variables and
    the links form a tree over the variables; else None."""
    linked: dict[tuple[str, str], list[Formula]] = {}
    for part in split_conjuncts(clause.formula):
        own = free_variables(part)
        if not quantifier_free(part) or len(own) not in (1, 2):
            return None
        if len(own) == 2:
            linked.setdefault(tuple(sorted(own)), []).append(part)
    if len(linked) != len(clause.variables) - 1:
        return None
    reached, edges = {clause.variables[0]}, list(linked)
    while edges:  # connected with n - 1 links: a tree
        step = [e for e in edges if reached & set(e)]
        if not step:
            return None
        reached.update(v for e in step for v in e)
        edges = [e for e in edges if e not in step]
    return [_Link(x, y, tuple(parts)) for (x, y), parts in linked.items()]


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


def decide(
    index: EntityIndex, clause: Clause, order: tuple[str, ...], worlds: np.ndarray, t: Thresholds
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """world -> witness (variable -> global row) for every world where the clause holds, and
    the worlds left to the per-world search."""
    parts = split_conjuncts(clause.formula)
    links = _links(clause)
    rows = _domains(index, clause, parts, worlds, t)
    shapes = {link: _shape(link, rows) for link in links}
    by_shape = {shape: link for link, shape in shapes.items()}  # one link of each shape
    stored, per_world = {}, np.zeros(index.worlds, dtype=np.int64)
    dense = np.zeros(index.worlds, dtype=bool)
    for shape, link in by_shape.items():
        found = stored_link(index, link.parts, link.x, link.y, rows[link.x], rows[link.y])
        if found is not None:
            stored[shape] = found
            per_world += np.bincount(index.world_of_row[found[0]], minlength=index.worlds)
        else:
            listed = pairs_per_world(index, rows[link.x], rows[link.y])
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
        edges = [_Edge(link, *listed[shapes[link]]) for link in links]
        found, again = _greedy(index, order, group_rows, edges)
        witnesses.update(found)
        repeated.append(again)
    return witnesses, np.concatenate([left, *repeated])


def _greedy(
    index: EntityIndex,
    order: tuple[str, ...],
    rows: np.ndarray,
    edges: list[_Edge],
) -> tuple[dict[int, dict[str, int]], np.ndarray]:
    """The greedy witnesses of one group of worlds (`rows`: its rows; the edges' positions are
    into them), and the worlds whose witness repeats an entity."""
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
    world = index.world_of_row[rows]
    for v in order:
        candidates = np.flatnonzero(alive[v])
        ranked = candidates[
            np.lexsort((candidates, -index.conf[rows[candidates]], world[candidates]))
        ]
        first = np.concatenate([[True], world[ranked][1:] != world[ranked][:-1]])
        alive[v] = np.zeros(len(rows), dtype=bool)
        alive[v][ranked[first]] = True
        for parent, child, edge in _walk(v, edges):
            _semijoin(alive, child, parent, edge)
    chosen = np.stack([rows[alive[v]] for v in order])  # one row per world, world order
    found = index.world_of_row[chosen[0]]
    ordered = np.sort(chosen, axis=0)
    distinct = np.all(ordered[1:] != ordered[:-1], axis=0)
    witnesses = {
        int(w): {v: int(r) for v, r in zip(order, column)}  # in order, as search binds them
        for w, column in zip(found[distinct], chosen[:, distinct].T)
    }
    return witnesses, found[~distinct]


def _walk(root: str, edges: list[_Edge]) -> list[tuple[str, str, _Edge]]:
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


def _semijoin(alive: dict[str, np.ndarray], kept: str, by: str, edge: _Edge) -> None:
    """Keep the rows of `kept` that have a pair with a live row of `by`."""
    mine, theirs = edge.ends(kept)
    supported = np.zeros(len(alive[kept]), dtype=bool)
    supported[mine[alive[by][theirs]]] = True
    alive[kept] &= supported
