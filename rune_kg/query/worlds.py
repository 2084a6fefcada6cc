"""Clause evaluation: the truth of a formula on one world's conditioned subset, read from the
entity index, and a witness for it.

Search is backtracking over the clause's variables; at each level the candidates for the
next variable are filtered with numpy, one conjunct at a time, over the whole subset (so a
relation test is one row of a matrix, not a Python loop). Only quantified subformulas that
depend on the variable are checked candidate by candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ..errors import AnswerTimeout, QueryError
from ..kg.geometry import Thresholds, bound_far
from ..kg.index import EntityIndex, class_table
from ..vocab import predicates, stored_predicates
from .formula import (
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
    negate,
)
from .plan import waits_for

Env = dict[str, int]  # variable -> position in the world's subset
_STORED = stored_predicates()


class World:
    """The entities of one world (index world w) of the classes in `universe` (None: all)."""

    def __init__(
        self, index: EntityIndex, w: int, universe: frozenset[str] | None, thresholds: Thresholds
    ):
        self.index, self.w, self.t = index, w, thresholds
        self.start, end = int(index.offsets[w]), int(index.offsets[w + 1])
        rows = np.arange(self.start, end)
        if universe is not None:
            rows = rows[class_table(universe)[index.cls[self.start : end]]]
        self.rows = rows
        self.n = len(rows)
        self.cls = index.cls[rows]
        self.conf = index.conf[rows]
        self._relations: dict[str, np.ndarray] = {}
        self._classes: dict[str, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}  # index columns of the subset's rows
        self._pairs: dict[str, np.ndarray] = {}  # stored pairs as (n, n) matrices
        self._lines: dict[tuple[str, int, int], np.ndarray] = {}  # (name, axis, position)

    def class_mask(self, name: str) -> np.ndarray:
        if name not in self._classes:
            self._classes[name] = class_table(frozenset((name,)))[self.cls]
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

    def line(self, name: str, axis: int, position: int) -> np.ndarray:
        """name(position, b) for every b (axis 0: a row) or name(a, position) for every a
        (axis 1: a column): sliced from the matrix, except that in a large world a measured
        relation's line is computed alone until the matrix is, so that a search that ends
        early never builds the (n, n) matrix."""
        if name in self._relations or name in _STORED or self.n < _LARGE:
            matrix = self.relation(name)
            return matrix[position] if axis == 0 else matrix[:, position]
        key = (name, axis, position)
        if key not in self._lines:
            one = np.array([position])
            every = np.arange(self.n)
            block = self.block(name, one, every) if axis == 0 else self.block(name, every, one)
            self._lines[key] = block.ravel()
        return self._lines[key]

    def block(self, name: str, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """name(a, b) for a in positions `first` (axis 0) and b in `second` (axis 1), distinct
        entities only. A block of a measured relation smaller than the whole matrix (the
        pruned domains of a large subset) is computed alone; the whole matrix is computed
        once, kept, and sliced."""
        whole = len(first) * len(second) >= self.n * self.n
        if name in self._relations or name in _STORED or whole:
            return self.relation(name)[first][:, second]
        result = measured(
            name,
            lambda m: self._column(m)[first, None],
            lambda m: self._column(m)[None, second],
            self.t,
        )
        if name == "far_from":
            result |= self._stored_matrix("far_within_bound")[first][:, second]
        result &= first[:, None] != second[None, :]
        return result

    def _column(self, attribute: str) -> np.ndarray:
        if attribute not in self._columns:
            self._columns[attribute] = getattr(self.index, attribute)[self.rows]
        return self._columns[attribute]

    def _stored_matrix(self, name: str) -> np.ndarray:
        if name not in self._pairs:
            self._pairs[name] = self._stored(name)
        return self._pairs[name]

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
        if name in _STORED:
            stored, swapped = predicates()[name].stored_as
            return self.relation(stored.name).T.copy() if swapped else self._stored(stored.name)
        if name == "far_from":
            return self._measured(name) | self._stored_matrix("far_within_bound")
        return self._measured(name)

    def _measured(self, name: str) -> np.ndarray:
        return measured(
            name, lambda m: self._column(m)[:, None], lambda m: self._column(m)[None, :], self.t
        )


def measured(
    name: str, a: Callable[[str], np.ndarray], b: Callable[[str], np.ndarray], t: Thresholds
) -> np.ndarray:
    """name(a, b) for the relations computed from per-entity measures. a(m) and b(m) give
    measure m (cx, cy, area, long, heading, radius, cls: the index's columns) of the first and
    second arguments, as arrays that broadcast together. far_from is its bound only: the caller
    adds the stored far_within_bound pairs."""
    match name:
        case "same_class":
            return a("cls") == b("cls")
        case "larger_than":
            return a("area") > b("area")
        case "parallel":
            d = np.abs(a("heading") - b("heading"))
            return (d <= t.parallel_degrees) | (180.0 - d <= t.parallel_degrees)
    dx, dy = a("cx") - b("cx"), a("cy") - b("cy")
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
            return bound_far(dx, dy, a("long"), b("long"), a("radius"), b("radius"), t.far_factor)
    raise QueryError(f"unknown relation {name}")


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
            if x == v:
                return world.line(p, 1, env[y])
            if y == v:
                return world.line(p, 0, env[x])
            return np.full(world.n, world.line(p, 0, env[x])[env[y]])
        case Not(body=body):
            return ~vector(world, body, env, v, where)
        case And(parts=parts):
            result = where.copy()
            for part in parts:
                if not np.count_nonzero(result):
                    break
                result &= vector(world, part, env, v, result)
            return result
        case Or(parts=parts):
            result = np.zeros(world.n, dtype=bool)
            for part in parts:
                open_ = where & ~result
                if not np.count_nonzero(open_):
                    break
                result |= vector(world, part, env, v, open_) & open_
            return result
        case Implies(premise=p, conclusion=c):
            premise = vector(world, p, env, v, where) & where
            return ~premise | vector(world, c, env, v, premise)
    if v not in free_variables(f) and quantifier_free(f):
        return np.full(world.n, holds(world, f, env))
    # With a quantifier, f depends on v even where v is not free in it: its quantified
    # variables must denote other entities than v's.
    quantified = single_quantified(f)
    if quantified is not None:
        return _quantified_vector(world, *quantified, env, v, where)
    result = np.zeros(world.n, dtype=bool)
    for i in where.nonzero()[0]:
        result[i] = holds(world, f, {**env, v: int(i)})
    return result


@lru_cache(maxsize=4096)
def quantifier_free(f: Formula) -> bool:
    """True when f has no quantifier (so it can be evaluated as a matrix)."""
    return not isinstance(f, (Exists, ForAll, Count)) and all(
        quantifier_free(c) for c in children(f)
    )


@lru_cache(maxsize=4096)
def single_quantified(f: Formula) -> tuple[str, int, str, Formula] | None:
    """(op, n, u, body) when f says "at least / at most / exactly n values of one variable u
    make the quantifier-free body true" (exists u and forall u are such counts), else None."""
    match f:
        case Exists(variables=(u,), body=body) if quantifier_free(body):
            return (">=", 1, u, body)
        case ForAll(variables=(u,), body=body) if quantifier_free(negate(body)):
            return ("<=", 0, u, negate(body))
        case Count(op=op, n=n, variable=u, body=body) if quantifier_free(body):
            return (op, n, u, body)
    return None


def count_form(f: Formula) -> tuple[str, int, str, Formula] | None:
    """single_quantified(f), or for the negation of one the count it amounts to (not at least
    n: at most n - 1; not at most n: at least n + 1); None for "not exactly n"."""
    if not isinstance(f, Not):
        return single_quantified(f)
    counted = single_quantified(f.body)
    if counted is None or counted[0] == "=":
        return None
    op, n, u, body = counted
    return ("<=", n - 1, u, body) if op == ">=" else (">=", n + 1, u, body)


def _quantified_vector(
    world: World, op: str, n: int, u: str, body: Formula, env: Env, v: str, where: np.ndarray
) -> np.ndarray:
    """A counting quantifier over u for every value of v at once: a (rows, n) matrix of the body,
    u distinct from v and from env, counted per row."""
    rows = where.nonzero()[0]
    truth = matrix(world, body, env, v, u, rows) & _unused(world, env)[None, :]
    truth[np.arange(len(rows)), rows] = False
    k = np.count_nonzero(truth, axis=1)
    result = np.zeros(world.n, dtype=bool)
    result[rows] = k >= n if op == ">=" else k <= n if op == "<=" else k == n
    return result


def matrix(world: World, f: Formula, env: Env, v: str, u: str, rows: np.ndarray) -> np.ndarray:
    """Truth of the quantifier-free f for v in `rows` (axis 0) and every value of u (axis 1)."""
    shape = (len(rows), world.n)
    match f:
        case Atom(predicate=p, args=(x,)):
            mask = world.class_mask(p)
            if x == v:
                return np.broadcast_to(mask[rows][:, None], shape)
            return np.broadcast_to(mask[None, :] if x == u else mask[env[x]], shape)
        case Atom(predicate=p, args=(x, y)):
            r = world.relation(p)
            pick = {v: ("row", rows), u: ("col", None)}
            kx, ky = pick.get(x, ("env", env.get(x))), pick.get(y, ("env", env.get(y)))
            match kx[0], ky[0]:
                case "row", "col":
                    return r[rows, :]
                case "col", "row":
                    return r[:, rows].T
                case "row", "env":
                    return np.broadcast_to(r[rows, ky[1]][:, None], shape)
                case "env", "row":
                    return np.broadcast_to(r[kx[1], rows][:, None], shape)
                case "col", "env":
                    return np.broadcast_to(r[:, ky[1]][None, :], shape)
                case "env", "col":
                    return np.broadcast_to(r[kx[1], :][None, :], shape)
                case "env", "env":
                    return np.broadcast_to(r[kx[1], ky[1]], shape)
            return np.zeros(shape, dtype=bool)  # x == y: no relation holds of an entity and itself
        case Not(body=body):
            return ~matrix(world, body, env, v, u, rows)
        case And(parts=parts):
            narrowed = _narrowed(world, parts, env, v, u, rows)
            if narrowed is not None:
                return narrowed
            result = np.ones(shape, dtype=bool)
            for part in parts:
                result &= matrix(world, part, env, v, u, rows)
            return result
        case Or(parts=parts):
            result = np.zeros(shape, dtype=bool)
            for part in parts:
                result |= matrix(world, part, env, v, u, rows)
            return result
        case Implies(premise=p, conclusion=c):
            return ~matrix(world, p, env, v, u, rows) | matrix(world, c, env, v, u, rows)
    raise TypeError(f"not a quantifier-free formula: {f!r}")


def _narrowed(
    world: World, parts: tuple[Formula, ...], env: Env, v: str, u: str, rows: np.ndarray
) -> np.ndarray | None:
    """A conjunction whose class atoms on u leave few columns (harbor(c) & ~far_from(c, a) in
    a world of ships): its relations computed on those columns only (World.block). None when
    it has no such atom or they leave most columns."""
    on_u = [q for q in parts if isinstance(q, Atom) and q.args == (u,)]
    if not on_u or not len(rows):
        return None
    keep = np.logical_and.reduce([world.class_mask(q.predicate) for q in on_u])
    cols = keep.nonzero()[0]
    if len(cols) * 4 >= world.n:
        return None
    result = np.zeros((len(rows), world.n), dtype=bool)
    block = np.ones((len(rows), len(cols)), dtype=bool)
    for part in parts:
        if part not in on_u:
            block &= _on_columns(world, part, env, v, u, rows, cols)
    result[:, cols] = block
    return result


def _on_columns(
    world: World, f: Formula, env: Env, v: str, u: str, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """matrix() of f restricted to the columns `cols`, relations computed on that block."""
    shape = (len(rows), len(cols))
    match f:
        case Atom(predicate=p, args=(x, y)) if x != y:
            axis = {v: 0, u: 1}

            def positions(z: str) -> np.ndarray:
                return (rows, cols)[axis[z]] if z in axis else np.array([env[z]])

            block = world.block(p, positions(x), positions(y))
            swapped = axis.get(x) == 1 or axis.get(y) == 0
            return np.broadcast_to(block.T if swapped else block, shape)
        case Not(body=body):
            return ~_on_columns(world, body, env, v, u, rows, cols)
        case And(parts=parts) | Or(parts=parts):
            blocks = [_on_columns(world, part, env, v, u, rows, cols) for part in parts]
            return (np.logical_and if isinstance(f, And) else np.logical_or).reduce(blocks)
    return matrix(world, f, env, v, u, rows)[:, cols]


def holds(world: World, f: Formula, env: Env) -> bool:
    """Truth of f with every free variable bound by env."""
    match f:
        case Atom(predicate=p, args=(x,)):
            return bool(world.class_mask(p)[env[x]])
        case Atom(predicate=p, args=(x, y)):
            return bool(world.line(p, 0, env[x])[env[y]])
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


@dataclass(frozen=True)
class _Levels:
    """How search checks a body's conjuncts (_levels); the per-variable fields have one tuple
    per search variable."""

    closed: tuple[Formula, ...]  # without search variables: once, first
    unary: tuple[tuple[Formula, ...], ...]  # fix the variable's domain
    later: tuple[tuple[Formula, ...], ...]  # on all candidates at once, at the level
    lazy: tuple[tuple[Formula, ...], ...]  # on each candidate the search tries
    taken: tuple[tuple[tuple[str, Formula], ...], ...]  # (u, counterexample): see _levels
    pairs: tuple[tuple[Formula, str, str], ...]  # (conjunct, x, y): prune the domains first


@lru_cache(maxsize=4096)
def _levels(variables: tuple[str, ...], body: Formula) -> _Levels:
    """How search checks body's conjuncts: those without any of `variables` (once, first); per
    variable, those whose only search variable it is (they fix its domain); the other ones at
    the position of their last variable; and the quantifier-free ones that link exactly two
    variables (they prune the domains before the search). A conjunct that quantifies
    variables of its own also waits for every variable they could denote (plan.waits_for);
    what it implies before those are bound (_relaxed) is checked where its own variables are.
    A conjunct that vector() would evaluate candidate by candidate anyway is checked lazily
    instead, on each candidate the search tries (it stops at the first witness). When such a
    conjunct says "no counterexample" and the variable it waits for last is not its own, the
    counterexamples there are before that variable is bound can only stay (_universal), so it
    must take the one there is, if any (`taken`)."""
    closed: list[Formula] = []
    unary, later, lazy, taken = ([[] for _ in variables] for _ in range(4))
    pairs = []
    parts = conjuncts(body)

    def place(part: Formula, own: list[int]) -> None:
        if not own:
            closed.append(part)
        elif not _vectorized(part):
            lazy[max(own)].append(part)
        elif len(set(own)) == 1:
            unary[own[0]].append(part)
        else:
            later[max(own)].append(part)
            if len(set(own)) == 2 and quantifier_free(part):
                pairs.append((part, variables[min(own)], variables[max(own)]))

    for part in parts:
        waits = waits_for(part, variables, parts)
        own = [i for i, v in enumerate(variables) if v in free_variables(part)]
        for bound in _relaxed(part, len(waits) - len(own)):
            place(bound, own)
        place(part, waits)
        universal = _universal(part)
        if waits and max(waits) not in own and universal is not None:
            taken[max(waits)].append(universal)

    def frozen(levels: list[list]) -> tuple[tuple, ...]:
        return tuple(tuple(level) for level in levels)

    return _Levels(
        tuple(closed), frozen(unary), frozen(later), frozen(lazy), frozen(taken), tuple(pairs)
    )


def _universal(part: Formula) -> tuple[str, Formula] | None:
    """(u, counterexample) when `part` says that no u makes `counterexample` true (forall, not
    exists) and excluding more entities can only make the counterexample truer (_truer): then
    later variables can remove its counterexamples only by taking them."""
    match part:
        case ForAll(variables=(u,), body=body):
            counterexample = negate(body)
        case Not(body=Exists(variables=(u,), body=counterexample)):
            pass
        case _:
            return None
    return (u, counterexample) if _truer(counterexample, True) else None


def _relaxed_universal(part: Formula, others: int) -> tuple[Formula, ...]:
    """For `part` saying that no u makes a body with quantifiers true (_universal), the later
    variables remove at most `others` of its counterexamples, so at most that many are
    allowed."""
    universal = _universal(part)
    if universal is None:
        return ()
    u, counterexample = universal
    return (Count("<=", others, u, counterexample),)


def _truer(f: Formula, truer: bool) -> bool:
    """Excluding more entities from f's quantifiers can only make f truer (or, with `truer`
    false, only falser): fewer witnesses for an exists, fewer cases for a forall."""
    match f:
        case Not(body=body):
            return _truer(body, not truer)
        case And(parts=parts) | Or(parts=parts):
            return all(_truer(p, truer) for p in parts)
        case Implies(premise=p, conclusion=c):
            return _truer(p, not truer) and _truer(c, truer)
        case Exists(body=body):
            return not truer and _truer(body, False)
        case ForAll(body=body):
            return truer and _truer(body, True)
        case Count(op="<=", body=body):
            return truer and _truer(body, False)
        case Count(op=">=", body=body):
            return not truer and _truer(body, False)
        case Count():
            return False
    return True


def _vectorized(f: Formula) -> bool:
    """vector() evaluates f for every value at once, without its candidate-by-candidate
    fallback."""
    match f:
        case Not(body=body):
            return _vectorized(body)
        case And(parts=parts) | Or(parts=parts):
            return all(_vectorized(p) for p in parts)
        case Implies(premise=p, conclusion=c):
            return _vectorized(p) and _vectorized(c)
    return quantifier_free(f) or single_quantified(f) is not None


def _relaxed(part: Formula, others: int) -> tuple[Formula, ...]:
    """Counts that `part`, a count of one variable u (exists, forall, not of them), implies
    while `others` more variables that u could denote are unbound: they may take up to that
    many of its witnesses, so "at least n" needs n of them already, and "at most n" allows
    n + others. A ship whose near ships are counted thus is pruned before its partner is
    chosen."""
    if not others:
        return ()
    counted = count_form(part)
    if counted is None:
        return _relaxed_universal(part, others)
    op, n, u, body = counted
    bounds = []
    if op in (">=", "=") and n > 0:
        bounds.append(Count(">=", n, u, body))
    if op in ("<=", "="):
        bounds.append(Count("<=", n + others, u, body))
    return tuple(bounds)


def _domains(world: World, variables: tuple[str, ...], env: Env, unary) -> list[np.ndarray] | None:
    """Each variable's candidates by its one-variable conditions; None when one has none."""
    free = _unused(world, env)
    domains = []
    for v, parts in zip(variables, unary):
        mask = free.copy()
        for part in parts:
            mask &= vector(world, part, env, v, mask)
            if not np.count_nonzero(mask):
                return None
        domains.append(mask)
    return domains


def _pruned(world: World, variables: tuple[str, ...], env: Env, domains, pairs) -> bool:
    """One round of pruning of the domains, in place, by every two-variable condition (a value
    stays if some value of the other variable fits); False when a domain empties."""
    position = {v: i for i, v in enumerate(variables)}
    for part, x, y in pairs:
        dx, dy = domains[position[x]], domains[position[y]]
        rows = dx.nonzero()[0]
        atoms = _link_atoms(part, x, y)
        if atoms is None:
            fits = matrix(world, part, env, x, y, rows) & dy[None, :]
            fits[np.arange(len(rows)), rows] = False
            dx[rows] = fits.any(axis=1)
            dy &= fits.any(axis=0)
        else:  # the relations on the domains' block only (World.block)
            cols = dy.nonzero()[0]
            fits = np.logical_and.reduce(
                [
                    world.block(a.predicate, rows, cols)
                    if a.args[0] == x
                    else world.block(a.predicate, cols, rows).T
                    for a in atoms
                ]
            )
            dx[rows] = fits.any(axis=1)
            dy[cols] = fits.any(axis=0)
        if not np.count_nonzero(dx) or not np.count_nonzero(dy):
            return False
    return True


def _link_atoms(part: Formula, x: str, y: str) -> tuple[Atom, ...] | None:
    """The relation atoms between x and y whose conjunction `part` is, or None."""
    atoms = conjuncts(part)
    if all(isinstance(a, Atom) and set(a.args) == {x, y} for a in atoms):
        return atoms
    return None


def check_deadline(deadline: float | None) -> None:
    """Raise AnswerTimeout once `deadline` (time.monotonic()) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise AnswerTimeout("the answer ran past its time limit")


def search(
    world: World,
    variables: tuple[str, ...],
    body: Formula,
    env: Env,
    best_first: bool = False,
    deadline: float | None = None,
) -> Env | None:
    """The first assignment of `variables` (pairwise distinct, distinct from env) where body
    holds, or None. Each conjunct is checked at the level of its last variable. The domains
    are pruned by the two-variable conditions first (`_pruned`), except in a large world,
    where up to _BUDGET steps are tried unpruned before. With best_first, candidates are tried
    most confident first, so the assignment returned is the greedy witness: each variable the
    most confident entity that still has a completion. Past `deadline` (time.monotonic()),
    AnswerTimeout."""
    levels = _levels(variables, body)
    if not all(holds(world, part, env) for part in levels.closed):
        return None
    domains = _domains(world, variables, env, levels.unary)
    if domains is None:
        return None
    if levels.pairs and world.n >= _LARGE:
        # Optimistic first in a large world: a witness is often among the first candidates,
        # found from a few lines of the relations without the (n, n) matrices that pruning
        # needs; past the budget, prune.
        try:
            return _first(world, variables, levels, domains, env, best_first, deadline, _BUDGET)
        except _OverBudget:
            pass
    if not _pruned(world, variables, env, domains, levels.pairs):
        return None
    return _first(world, variables, levels, domains, env, best_first, deadline, None)


_LARGE = 200  # entities in a world from which search tries without pruning first
_BUDGET = 32  # search steps tried before the domains are pruned


class _OverBudget(Exception):
    pass


def _first(
    world: World,
    variables: tuple[str, ...],
    levels: _Levels,
    domains: list[np.ndarray],
    env: Env,
    best_first: bool,
    deadline: float | None,
    budget: int | None,
) -> Env | None:
    """search()'s backtracking over the domains: at each level, the counterexamples the
    variable must take (levels.taken), then its `later` conjuncts on all candidates at once and
    its `lazy` ones on each candidate tried; _OverBudget past `budget` steps (None: none)."""
    steps = 0

    def extend(i: int, env: Env) -> Env | None:
        nonlocal steps
        if i == len(variables):
            return env
        check_deadline(deadline)
        steps += 1
        if budget is not None and steps > budget:
            raise _OverBudget
        v = variables[i]
        mask = domains[i].copy()
        mask[list(env.values())] = False
        for u, counterexample in levels.taken[i]:
            unused = _unused(world, env)
            found = vector(world, counterexample, env, u, unused) & unused
            k = np.count_nonzero(found)
            if k > 1:
                return None
            if k:
                mask &= found
        for part in levels.later[i]:
            mask &= vector(world, part, env, v, mask)
            if not np.count_nonzero(mask):
                return None
        candidates = (
            world.by_confidence[mask[world.by_confidence]] if best_first else mask.nonzero()[0]
        )
        for c in candidates:
            trial = {**env, v: int(c)}
            if all(holds(world, part, trial) for part in levels.lazy[i]):
                found = extend(i + 1, trial)
                if found is not None:
                    return found
        return None

    return extend(0, env)
