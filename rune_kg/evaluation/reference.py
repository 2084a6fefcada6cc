"""A direct model checker of the query language (docs/query-language.md) over numpy arrays: the
reference the engine is tested against, and the scan baseline of the query benchmark.

It reads DOTA files, not the store, and computes every relation from the polygons itself
(all pairs, shapely), so it shares no query code with the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely

from ..ingest.records import DotaImage
from ..kg.geometry import DEFAULT_THRESHOLDS, Boxes, Thresholds, intersection_areas
from ..query.formula import (
    And,
    Atom,
    Count,
    Exists,
    ForAll,
    Formula,
    Implies,
    Not,
    Or,
    children,
    conjuncts,
    free_variables,
)
from ..vocab import descendants


@dataclass
class ReferenceWorld:
    """One image's entities, with relation matrices computed on demand."""

    image: DotaImage
    t: Thresholds = DEFAULT_THRESHOLDS

    @cached_property
    def boxes(self) -> Boxes:
        return Boxes.from_corners(
            np.array([o.corners for o in self.image.objects], dtype=float).reshape(-1, 4, 2)
        )

    @cached_property
    def classes(self) -> np.ndarray:
        return np.array([o.class_name for o in self.image.objects], dtype=object)

    @cached_property
    def _pairs(self):
        n = len(self.classes)
        a, b = np.divmod(np.arange(n * n), n)
        polys = self.boxes.polygons
        return a, b, shapely.distance(polys[a], polys[b]).reshape(n, n)

    @cached_property
    def intersection(self) -> np.ndarray:
        n = len(self.classes)
        polys = self.boxes.polygons
        a, b, dist = self._pairs
        inter = np.zeros(n * n)
        touching = (dist.reshape(-1) == 0) & (self.boxes.area[a] > 0) & (self.boxes.area[b] > 0)
        inter[touching] = intersection_areas(polys[a[touching]], polys[b[touching]])
        return inter.reshape(n, n)

    def relation(self, name: str) -> np.ndarray:
        """Boolean n x n matrix: relation(a, b) for a != b (the diagonal is False)."""
        cached = self.__dict__.setdefault("_relations", {})
        if name not in cached:
            cached[name] = self._relation(name) & ~np.eye(len(self.classes), dtype=bool)
        return cached[name]

    def _relation(self, name: str) -> np.ndarray:
        bx = self.boxes
        dx = bx.cx[:, None] - bx.cx[None, :]
        dy = bx.cy[:, None] - bx.cy[None, :]
        max_long = np.maximum(bx.long_side[:, None], bx.long_side[None, :])
        match name:
            case "left_of":
                return (dx < 0) & (np.abs(dy) <= np.abs(dx))
            case "right_of":
                return (dx > 0) & (np.abs(dy) <= np.abs(dx))
            case "above":
                return (dy < 0) & (np.abs(dx) <= np.abs(dy))
            case "below":
                return (dy > 0) & (np.abs(dx) <= np.abs(dy))
            case "near":
                return self._pairs[2] <= self.t.near_factor * max_long
            case "far_from":
                return self._pairs[2] > self.t.far_factor * max_long
            case "overlaps":
                return self.intersection > 0
            case "inside":
                return (
                    (self.intersection >= self.t.inside_ratio * bx.area[:, None])
                    & (bx.area[:, None] > 0)
                    & (self.intersection > 0)
                )
            case "contains":
                return self.relation("inside").T
            case "larger_than":
                return bx.area[:, None] > bx.area[None, :]
            case "parallel":
                d = np.abs(bx.heading[:, None] - bx.heading[None, :])
                return (d <= self.t.parallel_degrees) | (180.0 - d <= self.t.parallel_degrees)
            case "same_class":
                return self.classes[:, None] == self.classes[None, :]
        raise ValueError(f"unknown relation {name}")


def holds(world: ReferenceWorld, f: Formula, env: dict[str, int]) -> bool:
    """Truth of f on the world, with env mapping every free variable to an entity index."""
    match f:
        case Atom(predicate=p, args=(x,)):
            return world.classes[env[x]] in descendants(p)
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
            return next(assignments(world, vs, body, env), None) is not None
        case ForAll(variables=vs, body=body):
            return next(assignments(world, vs, Not(body), env), None) is None
        case Count(op=op, n=n, variable=v, body=body):
            free = [i for i in range(len(world.classes)) if i not in env.values()]
            return _compare(sum(holds(world, body, {**env, v: i}) for i in free), op, n)
    raise TypeError(f"not a formula: {f!r}")


def assignments(
    world: ReferenceWorld, variables: tuple[str, ...], body: Formula, env: dict[str, int]
):
    """Every assignment of `variables` to entities distinct from each other and from env where
    body holds (lazily, in index order). Backtracking: each conjunct of body is checked as soon
    as its variables are assigned, except that a quantified variable must also differ from the
    variables assigned later (all are in scope): a count of one variable over a quantifier-free
    body keeps its witnesses until the end, without those the later variables took; any other
    conjunct with a quantifier is checked at the end."""
    parts = conjuncts(body)
    pending = [(p, set(free_variables(p)), _quantifies(p)) for p in parts]

    def check(p: Formula, quantified: bool, env: dict[str, int], last: list) -> bool:
        """Check p now, or add to `last` what the end must check."""
        if not quantified:
            return holds(world, p, env)
        counted = _witnesses(world, p, env)
        last.append((p, None) if counted is None else counted)
        return True

    def complete(env: dict[str, int], last: list) -> bool:
        taken = set(env.values())
        return all(
            holds(world, p, env) if test is None else test(len(p - taken)) for p, test in last
        )

    def extend(i: int, env: dict[str, int], last: list):
        if i == len(variables):
            if complete(env, last):
                yield dict(env)
            return
        v = variables[i]
        known = set(env) | {v}
        checks = [(p, q) for p, fv, q in pending if v in fv and fv <= known]
        used = set(env.values())
        for e in range(len(world.classes)):
            if e not in used:
                trial, more = {**env, v: e}, list(last)
                if all(check(p, q, trial, more) for p, q in checks):
                    yield from extend(i + 1, trial, more)

    last: list = []
    closed = [(p, q) for p, fv, q in pending if not fv & set(variables)]
    if all(check(p, q, env, last) for p, q in closed):
        yield from extend(0, env, last)


def _witnesses(world: ReferenceWorld, f: Formula, env: dict[str, int]):
    """For f counting one variable over a quantifier-free body (exists, forall, exists>=N and
    the like, or their negation): (the entities other than env's that make the body true, the
    test that their number must pass); else None."""
    negated = isinstance(f, Not)
    match f.body if negated else f:
        case Exists(variables=(u,), body=body):
            op, n = ">=", 1
        case ForAll(variables=(u,), body=body):
            op, n, body = "<=", 0, Not(body)
        case Count(op=op, n=n, variable=u, body=body):
            pass
        case _:
            return None
    if _quantifies(body):
        return None
    used = set(env.values())
    found = {
        e for e in range(len(world.classes)) if e not in used and holds(world, body, {**env, u: e})
    }

    return found, lambda k: _compare(k, op, n) != negated


def _compare(k: int, op: str, n: int) -> bool:
    """k >= n, k <= n or k == n, as op says."""
    return k >= n if op == ">=" else k <= n if op == "<=" else k == n


def _quantifies(f: Formula) -> bool:
    return isinstance(f, (Exists, ForAll, Count)) or any(_quantifies(c) for c in children(f))


def satisfies(world: ReferenceWorld, formula: Formula) -> dict[str, int] | None:
    """A witness (top-level variables -> entity index) if the image satisfies the formula."""
    return next(assignments(world, free_variables(formula), formula, {}), None)
