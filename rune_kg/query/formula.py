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
            case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
                return type(g)(tuple(name(v) for v in vs), walk(body))
            case Count(op=op, n=n, variable=v, body=body):
                return Count(op, n, name(v), walk(body))
        return _connective(g, walk)

    return walk(f)


def _connective(g: Formula, walk) -> Formula:
    """A not, and, or, or implication rebuilt with `walk` applied to its parts."""
    match g:
        case Not(body=body):
            return Not(walk(body))
        case And(parts=parts) | Or(parts=parts):
            return type(g)(tuple(walk(p) for p in parts))
        case Implies(premise=p, conclusion=c):
            return Implies(walk(p), walk(c))
    raise TypeError(f"not a formula: {g!r}")


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


def is_class_atom(f: Formula, variable: str | None = None) -> bool:
    """A class atom (the query language's only one-argument atoms), on `variable` if given."""
    return isinstance(f, Atom) and len(f.args) == 1 and variable in (None, f.args[0])


def conjuncts(f: Formula) -> tuple[Formula, ...]:
    """The parts of a conjunction (nested conjunctions flattened); a single formula otherwise."""
    if isinstance(f, And):
        return tuple(c for p in f.parts for c in conjuncts(p))
    return (f,)


@lru_cache(maxsize=4096)
def split_conjuncts(f: Formula) -> tuple[Formula, ...]:
    """conjuncts(f), with each "no u such that C(u) & (p | q)" (or "forall u: C(u) -> ~(p |
    q)") split into "no u: C(u) & p" and "no u: C(u) & q": the same truth (exists distributes
    over or, and u keeps its scope), in parts that may each depend on fewer variables."""
    split = []
    for part in conjuncts(f):
        match part:
            case Not(body=Exists(variables=(u,), body=body)):
                inner = conjuncts(body)
            case ForAll(variables=(u,), body=body):
                inner = conjuncts(negate(body))
            case _:
                inner = ()
        choices = [p for p in inner if isinstance(p, Or)]
        if len(choices) != 1:
            split.append(part)
            continue
        rest = tuple(p for p in inner if p is not choices[0])
        split += [Not(Exists((u,), And((*rest, *conjuncts(c))))) for c in choices[0].parts]
    return tuple(split)


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
    conjunction (forall x: C(x) -> F  is  not exists x: C(x) & not F), and a double negation
    dropped."""
    match f:
        case Implies(premise=p, conclusion=c):
            return And((*conjuncts(p), negate(c)))
        case Not(body=body):
            return body
    return Not(f)


def normal_form(f: Formula) -> Formula:
    """A representative of f's class up to variable names, the order of conjuncts, disjuncts and
    quantified variables, the order of a symmetric relation's arguments and the choice between
    a relation and its inverse (right_of(a, b) is left_of(b, a)). Two formulas with the same
    normal form select the same images; the converse need not hold."""
    from ..vocab import RELATIONS  # here, so that the formula tree itself needs no ontology

    def oriented(atom: Atom) -> Atom:
        relation = RELATIONS.get(atom.predicate)
        if (
            relation is not None
            and relation.inverse is not None
            and relation.inverse < atom.predicate
        ):
            return Atom(relation.inverse, atom.args[::-1])
        return atom

    def shape(g: Formula) -> str:
        """g's canonical text with every variable blanked, for ordering parts by their form."""
        return canonical(_blank(g))

    def walk(g: Formula, by_name: bool) -> Formula:
        """Parts ordered by their shape; with `by_name` (once the names follow that order),
        ties and symmetric arguments by the variables' names too."""
        match g:
            case Atom():
                atom = oriented(g)
                relation = RELATIONS.get(atom.predicate)
                if by_name and relation is not None and relation.symmetric:
                    atom = Atom(atom.predicate, tuple(sorted(atom.args)))
                return atom
            case Not(body=body):
                return Not(walk(body, by_name))
            case And(parts=parts) | Or(parts=parts):
                flat = [
                    p for part in parts for p in (part.parts if type(part) is type(g) else (part,))
                ]
                done = [walk(p, by_name) for p in flat]
                return type(g)(
                    tuple(sorted(done, key=lambda p: (shape(p), canonical(p) if by_name else "")))
                )
            case Implies(premise=p, conclusion=c):
                return Implies(walk(p, by_name), walk(c, by_name))
            case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
                inner = walk(body, by_name)
                seen = variables(inner)  # in the order the normalised body uses them
                return type(g)(tuple(sorted(vs, key=seen.index)), inner)
            case Count(op=op, n=n, variable=v, body=body):
                return Count(op, n, v, walk(body, by_name))
        raise TypeError(f"not a formula: {g!r}")

    result = alpha_normal(walk(_apart(f), by_name=False))
    for _ in range(3):  # names now follow the order of parts; order again by them, to a fixpoint
        again = alpha_normal(walk(result, by_name=True))
        if again == result:
            break
        result = again
    return result


def _blank(f: Formula) -> Formula:
    match f:
        case Atom(predicate=p, args=args):
            return Atom(p, tuple("_" for _ in args))
        case Not(body=body):
            return Not(_blank(body))
        case And(parts=parts) | Or(parts=parts):
            return type(f)(tuple(sorted((_blank(p) for p in parts), key=canonical)))
        case Implies(premise=p, conclusion=c):
            return Implies(_blank(p), _blank(c))
        case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
            return type(f)(tuple("_" for _ in vs), _blank(body))
        case Count(op=op, n=n, body=body):
            return Count(op, n, "_", _blank(body))
    raise TypeError(f"not a formula: {f!r}")


def variables(f: Formula) -> list[str]:
    """Every variable of f, quantified ones too, in the order they first appear."""
    found: list[str] = []
    match f:
        case Atom(args=args):
            found += args
        case Exists(variables=vs) | ForAll(variables=vs):
            found += vs
        case Count(variable=v):
            found.append(v)
    for child in children(f):
        found += variables(child)
    return list(dict.fromkeys(found))


def _apart(f: Formula) -> Formula:
    """f with every quantifier's variables renamed to names of their own ("exists a: p(a)) &
    (exists a: q(a))" -> two different names), so that renaming cannot merge them."""
    fresh = iter(range(1, 10**9))

    def walk(g: Formula) -> Formula:
        match g:
            case Atom():
                return g
            case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body):
                new = tuple(f"q{next(fresh)}_{v}" for v in vs)
                for old, name in zip(vs, new):
                    body = rename(body, old, name)
                return type(g)(new, walk(body))
            case Count(op=op, n=n, variable=v, body=body):
                name = f"q{next(fresh)}_{v}"
                return Count(op, n, name, walk(rename(body, v, name)))
        return _connective(g, walk)

    return walk(f)
