"""Clause evaluation: the truth of a formula on one world's conditioned subset, read from the
entity index, and a witness for it.

Search is backtracking over the clause's variables; at each level the candidates for the
next variable are filtered with numpy, one conjunct at a time, over the whole subset (so a
relation test is one row of a matrix, not a Python loop). Only quantified subformulas that
depend on the variable are checked candidate by candidate.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..geometry import Thresholds, centroids_far
from ..index import LEAVES, EntityIndex, class_codes
from .formula import And, Atom, Count, Exists, ForAll, Formula, Implies, Not, Or, conjuncts, free_variables, negate

Env = dict[str, int]  # variable -> position in the world's subset


class World:
    """The entities of one world (index world w) whose classes are in `codes` (None: all)."""

    def __init__(self, index: EntityIndex, w: int, codes: np.ndarray | None, thresholds: Thresholds):
        self.index, self.w, self.t = index, w, thresholds
        self.start, end = int(index.offsets[w]), int(index.offsets[w + 1])
        rows = np.arange(self.start, end)
        if codes is not None:
            rows = rows[np.isin(index.cls[self.start:end], codes)]
        self.rows = rows
        self.n = len(rows)
        self.cls = index.cls[rows]
        self.conf = index.conf[rows]
        self._relations: dict[str, np.ndarray] = {}
        self._classes: dict[str, np.ndarray] = {}

    def class_mask(self, name: str) -> np.ndarray:
        if name not in self._classes:
            self._classes[name] = np.isin(self.cls, class_codes(name))
        return self._classes[name]

    @cached_property
    def by_confidence(self) -> np.ndarray:
        """Positions, most confident first (ties: entity order)."""
        return np.argsort(-self.conf, kind="stable")

    def relation(self, name: str) -> np.ndarray:
        """(n, n) booleans: name(a, b) for distinct a, b of the subset."""
        if name not in self._relations:
            matrix = self._compute(name)
            np.fill_diagonal(matrix, False)
            self._relations[name] = matrix
        return self._relations[name]

    def _column(self, attribute: str) -> np.ndarray:
        return getattr(self.index, attribute)[self.rows]

    def _stored(self, name: str) -> np.ndarray:
        pairs = self.index.pair_slice(name, self.w) - self.start
        local = np.full(int(self.index.offsets[self.w + 1]) - self.start, -1)
        local[self.rows - self.start] = np.arange(self.n)
        a, b = local[pairs[:, 0]], local[pairs[:, 1]]
        keep = (a >= 0) & (b >= 0)
        matrix = np.zeros((self.n, self.n), dtype=bool)
        matrix[a[keep], b[keep]] = True
        return matrix

    def _compute(self, name: str) -> np.ndarray:
        match name:
            case "near" | "overlaps" | "inside":
                return self._stored(name)
            case "contains":
                return self.relation("inside").T.copy()
        cx, cy = self._column("cx"), self._column("cy")
        dx = cx[:, None] - cx[None, :]
        dy = cy[:, None] - cy[None, :]
        match name:
            case "left_of":
                return (dx < 0) & (np.abs(dy) <= np.abs(dx))
            case "right_of":
                return (dx > 0) & (np.abs(dy) <= np.abs(dx))
            case "above":
                return (dy < 0) & (np.abs(dx) <= np.abs(dy))
            case "below":
                return (dy > 0) & (np.abs(dx) <= np.abs(dy))
            case "far_from":
                long = self._column("long")
                by_centroids = centroids_far(dx, dy, long[:, None], long[None, :], self.t.far_factor)
                return (by_centroids & ~self._stored("not_far")) | self._stored("far_despite")
            case "larger_than":
                area = self._column("area")
                return area[:, None] > area[None, :]
            case "parallel":
                heading = self._column("heading")
                d = np.abs(heading[:, None] - heading[None, :])
                return (d <= self.t.parallel_degrees) | (180.0 - d <= self.t.parallel_degrees)
            case "same_class":
                return self.cls[:, None] == self.cls[None, :]
        raise ValueError(f"unknown relation {name}")

    def class_name(self, position: int) -> str:
        return LEAVES[self.cls[position]]

    def entity_number(self, position: int) -> int:
        """k in the entity's IRI (its line in the source file)."""
        return int(self.rows[position]) - self.start


def vector(world: World, f: Formula, env: Env, v: str, where: np.ndarray) -> np.ndarray:
    """Truth of f for every value of v (env binds f's other free variables); entries outside
    `where` are not needed and may be anything."""
    match f:
        case Atom(predicate=p, args=(x,)):
            mask = world.class_mask(p)
            return mask if x == v else np.full(world.n, mask[env[x]])
        case Atom(predicate=p, args=(x, y)):
            if x == v and y == v:
                return np.zeros(world.n, dtype=bool)
            matrix = world.relation(p)
            if x == v:
                return matrix[:, env[y]]
            if y == v:
                return matrix[env[x], :]
            return np.full(world.n, matrix[env[x], env[y]])
        case Not(body=body):
            return ~vector(world, body, env, v, where)
        case And(parts=parts):
            result = where.copy()
            for part in parts:
                if not result.any():
                    break
                result &= vector(world, part, env, v, result)
            return result
        case Or(parts=parts):
            result = np.zeros(world.n, dtype=bool)
            for part in parts:
                open_ = where & ~result
                if not open_.any():
                    break
                result |= vector(world, part, env, v, open_) & open_
            return result
        case Implies(premise=p, conclusion=c):
            premise = vector(world, p, env, v, where) & where
            return ~premise | vector(world, c, env, v, premise)
    if v not in free_variables(f):
        return np.full(world.n, holds(world, f, env))
    result = np.zeros(world.n, dtype=bool)
    for i in np.flatnonzero(where):
        result[i] = holds(world, f, {**env, v: int(i)})
    return result


def holds(world: World, f: Formula, env: Env) -> bool:
    """Truth of f with every free variable bound by env."""
    match f:
        case Atom(predicate=p, args=(x,)):
            return bool(world.class_mask(p)[env[x]])
        case Atom(predicate=p, args=(x, y)):
            return bool(world.relation(p)[env[x], env[y]])
        case Not(body=body):
            return not holds(world, body, env)
        case And(parts=parts):
            return all(holds(world, p, env) for p in parts)
        case Or(parts=parts):
            return any(holds(world, p, env) for p in parts)
        case Implies(premise=p, conclusion=c):
            return not holds(world, p, env) or holds(world, c, env)
        case Exists(variables=vs, body=body):
            return search(world, vs, body, env) is not None
        case ForAll(variables=vs, body=body):
            return search(world, vs, negate(body), env) is None
        case Count(op=op, n=n, variable=v, body=body):
            free = _unused(world, env)
            k = int(np.count_nonzero(vector(world, body, env, v, free) & free))
            return k >= n if op == ">=" else k <= n if op == "<=" else k == n
    raise TypeError(f"not a formula: {f!r}")


def _unused(world: World, env: Env) -> np.ndarray:
    free = np.ones(world.n, dtype=bool)
    free[list(env.values())] = False
    return free


def search(world: World, variables: tuple[str, ...], body: Formula, env: Env, best_first: bool = False) -> Env | None:
    """The first assignment of `variables` (pairwise distinct, distinct from env) where body
    holds, or None. Each conjunct is checked at the level of its last variable. With
    best_first, candidates are tried most confident first, so the assignment returned is the
    greedy witness: each variable the most confident entity that still has a completion."""
    levels: list[list[Formula]] = [[] for _ in variables]
    for part in conjuncts(body):
        own = [variables.index(x) for x in free_variables(part) if x in variables]
        if not own:
            if not holds(world, part, env):
                return None
        else:
            levels[max(own)].append(part)

    def extend(i: int, env: Env) -> Env | None:
        if i == len(variables):
            return env
        v = variables[i]
        mask = _unused(world, env)
        for part in levels[i]:
            mask &= vector(world, part, env, v, mask)
            if not mask.any():
                return None
        candidates = world.by_confidence[mask[world.by_confidence]] if best_first else np.flatnonzero(mask)
        for c in candidates:
            found = extend(i + 1, {**env, v: int(c)})
            if found is not None:
                return found
        return None

    return extend(0, env)
