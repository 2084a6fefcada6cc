"""Plan stage: Formula -> Plan, RUNE's logic decomposition.

The formula's existential top level is split into clauses that share no variable. Because
distinct variables denote distinct entities, two such clauses are still independent only when
no entity could serve both: clauses whose variables may take the same class are merged. Each
clause carries the class counts an image needs before the clause can hold there (its
conditioned subset), so that it is evaluated only on those images.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..vocab import ONTOLOGY, descendants
from .formula import (
    And,
    Atom,
    Count,
    Exists,
    ForAll,
    Formula,
    children,
    conjuncts,
    free_variables,
    negate,
)

ALL_CLASSES = frozenset(ONTOLOGY.classes)  # every class an entity may have


@dataclass(frozen=True)
class Clause:
    """Variable-disjoint part of the formula: exists variables: formula."""

    variables: tuple[str, ...]
    formula: Formula
    requirements: tuple[tuple[str, int], ...]  # (class name, minimum count) an image needs
    universe: frozenset[str]  # classes any of its variables (nested ones too) can take


@dataclass(frozen=True)
class Plan:
    formula: Formula
    clauses: tuple[Clause, ...]


def class_range(variable: str, parts: tuple[Formula, ...]) -> frozenset[str]:
    """Classes `variable` can take where the conjunction `parts` holds."""
    allowed = ALL_CLASSES
    for part in parts:
        if (
            isinstance(part, Atom)
            and part.args == (variable,)
            and part.predicate in ONTOLOGY.classes
        ):
            allowed &= descendants(part.predicate)
    return allowed


def _variable_ranges(f: Formula, top: tuple[str, ...]) -> list[frozenset[str]]:
    """The class ranges of every variable of a clause (top-level and nested) that matter for
    distinctness: universally quantified variables range over everything."""
    ranges = [class_range(v, conjuncts(f)) for v in top]

    def walk(g: Formula) -> None:
        match g:
            case Exists(variables=vs, body=body):
                ranges.extend(class_range(v, conjuncts(body)) for v in vs)
            case Count(variable=v, body=body):
                ranges.append(class_range(v, conjuncts(body)))
            case ForAll(variables=vs, body=body):  # only counterexamples matter: not body
                ranges.extend(class_range(v, conjuncts(negate(body))) for v in vs)
        for child in children(g):
            walk(child)

    walk(f)
    return ranges


def waits_for(part: Formula, variables: tuple[str, ...], parts: tuple[Formula, ...]) -> list[int]:
    """Positions of `variables` (searched in that order, ranging where the conjunction `parts`
    holds) that must be bound before its conjunct `part` can be checked: those free in it and,
    when it quantifies variables of its own, every one whose entity they could denote. A
    quantified variable differs from every variable in scope, bound yet or not: in "ship(a) &
    ship(b) & near(a, b) & ~exists c: (ship(c) & near(c, a))", c is neither a nor b."""
    positions = [i for i, v in enumerate(variables) if v in free_variables(part)]
    inner = frozenset().union(*_variable_ranges(part, ()))
    if inner:
        positions += [
            i
            for i, v in enumerate(variables)
            if i not in positions and class_range(v, parts) & inner
        ]
    return positions


def _requirements(
    variables: tuple[str, ...], parts: tuple[Formula, ...]
) -> tuple[tuple[str, int], ...]:
    """Class counts an image needs: n distinct variables that must be of (sub)class C need n C's;
    a count of "at least n" C's more (its entities differ from the variables)."""
    classes = ONTOLOGY.classes
    mentioned = {p.predicate for p in parts if isinstance(p, Atom) and p.predicate in classes}
    ranges = [class_range(v, parts) for v in variables]
    need: Counter[str] = Counter({c: sum(r <= descendants(c) for r in ranges) for c in mentioned})
    for part in parts:  # exists>=N x: C(x) & ... needs N C's besides the variables that are C's
        if isinstance(part, Count) and part.op in (">=", "=") and part.n > 0:
            for atom in conjuncts(part.body):
                if (
                    isinstance(atom, Atom)
                    and atom.args == (part.variable,)
                    and atom.predicate in classes
                ):
                    besides = sum(r <= descendants(atom.predicate) for r in ranges)
                    need[atom.predicate] = max(need[atom.predicate], part.n + besides)
    return tuple(sorted(need.items()))


def plan(formula: Formula) -> Plan:
    """Split the formula into clauses (see the module docstring)."""
    variables = list(free_variables(formula))
    body = formula
    while isinstance(body, Exists):  # exists at the top is the same as free variables
        variables += [v for v in body.variables if v not in variables]
        body = body.body
    parts = conjuncts(body)

    # Union-find over conjuncts: join those that share a top-level variable.
    groups: list[tuple[set[str], list[Formula]]] = []
    for part in parts:
        own = set(free_variables(part)) & set(variables)
        merged = [g for g in groups if g[0] & own]
        for g in merged:
            groups.remove(g)
            own |= g[0]
        groups.append((own, [p for g in merged for p in g[1]] + [part]))

    # Merge groups whose variables could denote the same entity.
    def ranges(g) -> list[frozenset[str]]:
        vs = tuple(v for v in variables if v in g[0])
        return _variable_ranges(And(tuple(g[1])) if len(g[1]) > 1 else g[1][0], vs)

    changed = True
    while changed:
        changed = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if any(a & b for a in ranges(groups[i]) for b in ranges(groups[j])):
                    groups[i] = (groups[i][0] | groups[j][0], groups[i][1] + groups[j][1])
                    del groups[j]
                    changed = True
                    break
            if changed:
                break

    clauses = []
    for own, members in groups:
        vs = tuple(v for v in variables if v in own)
        members = tuple(p for p in parts if p in members)  # keep the user's order
        f = members[0] if len(members) == 1 else And(members)
        universe = frozenset().union(*_variable_ranges(f, vs))
        clauses.append(Clause(vs, f, _requirements(vs, members), universe))
    return Plan(formula, tuple(clauses))
