"""The formula tree of the query language (docs/query-language.md): immutable nodes, canonical
text, free variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Atom:
    predicate: str  # canonical predicate name (class or relation)
    args: tuple[str, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    body: Formula


@dataclass(frozen=True)
class And:
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Implies:
    premise: Formula
    conclusion: Formula


@dataclass(frozen=True)
class Exists:
    variables: tuple[str, ...]
    body: Formula


@dataclass(frozen=True)
class ForAll:
    variables: tuple[str, ...]
    body: Formula


@dataclass(frozen=True)
class Count:
    """exists>=N / <=N / =N var: body."""

    op: str  # ">=", "<=", "="
    n: int
    variable: str
    body: Formula


Formula = Atom | Not | And | Or | Implies | Exists | ForAll | Count


@lru_cache(maxsize=65536)
def free_variables(f: Formula) -> tuple[str, ...]:
    """Free variables in order of first appearance (cached: evaluation asks often)."""
    found: dict[str, None] = {}

    def walk(g: Formula, bound: frozenset[str]) -> None:
        match g:
            case Atom(args=args):
                found.update((a, None) for a in args if a not in bound)
            case Not(body=body):
                walk(body, bound)
            case And(parts=parts) | Or(parts=parts):
                for p in parts:
                    walk(p, bound)
            case Implies(premise=p, conclusion=c):
                walk(p, bound)
                walk(c, bound)
            case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
                walk(body, bound | set(vs))
            case Count(variable=v, body=body):
                walk(body, bound | {v})

    walk(f, frozenset())
    return tuple(found)


def canonical(f: Formula) -> str:
    """Canonical text: one spelling per formula, fully parenthesised below the top."""
    match f:
        case Atom(predicate=p, args=args):
            return f"{p}({', '.join(args)})"
        case Not(body=body):
            return f"~{_wrapped(body)}"
        case And(parts=parts):
            return " & ".join(_wrapped(p) for p in parts)
        case Or(parts=parts):
            return " | ".join(_wrapped(p) for p in parts)
        case Implies(premise=p, conclusion=c):
            return f"{_wrapped(p)} -> {_wrapped(c)}"
        case Exists(variables=vs, body=body):
            return f"exists {', '.join(vs)}: {_wrapped(body)}"
        case ForAll(variables=vs, body=body):
            return f"forall {', '.join(vs)}: {_wrapped(body)}"
        case Count(op=op, n=n, variable=v, body=body):
            return f"exists{op}{n} {v}: {_wrapped(body)}"
    raise TypeError(f"not a formula: {f!r}")


def alpha_normal(f: Formula) -> Formula:
    """f with its variables renamed v1, v2, ... in order of first appearance (bound ones too),
    so that formulas differing only in variable names are equal."""
    names: dict[str, str] = {}

    def name(v: str) -> str:
        return names.setdefault(v, f"v{len(names) + 1}")

    def walk(g: Formula) -> Formula:
        match g:
            case Atom(predicate=p, args=args):
                return Atom(p, tuple(name(a) for a in args))
            case Not(body=body):
                return Not(walk(body))
            case And(parts=parts) | Or(parts=parts):
                return type(g)(tuple(walk(p) for p in parts))
            case Implies(premise=p, conclusion=c):
                return Implies(walk(p), walk(c))
            case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
                return type(g)(tuple(name(v) for v in vs), walk(body))
            case Count(op=op, n=n, variable=v, body=body):
                return Count(op, n, name(v), walk(body))
        raise TypeError(f"not a formula: {g!r}")

    return walk(f)


def _wrapped(f: Formula) -> str:
    return canonical(f) if isinstance(f, (Atom, Not)) else f"({canonical(f)})"


def children(f: Formula) -> tuple[Formula, ...]:
    """The direct subformulas of f."""
    match f:
        case Atom():
            return ()
        case Not(body=body) | Exists(body=body) | ForAll(body=body) | Count(body=body):
            return (body,)
        case And(parts=parts) | Or(parts=parts):
            return parts
        case Implies(premise=p, conclusion=c):
            return (p, c)
    raise TypeError(f"not a formula: {f!r}")


def conjuncts(f: Formula) -> tuple[Formula, ...]:
    """The parts of a conjunction (nested conjunctions flattened); a single formula otherwise."""
    if isinstance(f, And):
        return tuple(c for p in f.parts for c in conjuncts(p))
    return (f,)


def rename(f: Formula, old: str, new: str) -> Formula:
    """f with free occurrences of variable `old` renamed to `new`."""
    match f:
        case Atom(predicate=p, args=args, position=pos):
            return Atom(p, tuple(new if a == old else a for a in args), pos)
        case Not(body=body):
            return Not(rename(body, old, new))
        case And(parts=parts):
            return And(tuple(rename(p, old, new) for p in parts))
        case Or(parts=parts):
            return Or(tuple(rename(p, old, new) for p in parts))
        case Implies(premise=p, conclusion=c):
            return Implies(rename(p, old, new), rename(c, old, new))
        case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
            return f if old in vs else type(f)(vs, rename(body, old, new))
        case Count(op=op, n=n, variable=v, body=body):
            return f if old == v else Count(op, n, v, rename(body, old, new))
    raise TypeError(f"not a formula: {f!r}")


def negate(f: Formula) -> Formula:
    """not f, with the negation pushed through an implication so that its premise stays a
    conjunction (forall x: C(x) -> F  is  not exists x: C(x) & not F)."""
    match f:
        case Implies(premise=p, conclusion=c):
            return And((*conjuncts(p), Not(c)))
        case Not(body=body):
            return body
    return Not(f)
