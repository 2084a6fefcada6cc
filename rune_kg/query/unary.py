"""Clauses of at most one variable, decided over every candidate world at once with numpy:
- one variable with class atoms (with and, or, not), and any number of "with no partner"
  conditions: "a ship", "a plane or a helicopter",
  "a ship with no other ship near it" (not exists b: class atoms on b and one stored relation
  between the variable and b: an anti-join on the index's stored pairs);
- a closed count of one class: "at least 50 ships", "no plane".
They are the commonest one-clause queries, and the search per world costs 0.1 to 1 ms a world.
The witness equals evaluate.search's: the world's most confident entity that qualifies, the
first in entity order on ties. Relations are between distinct entities, as the distinct-entity
semantics wants b != a.
"""

from __future__ import annotations

import numpy as np

from ..kg.index import EntityIndex, class_table
from ..vocab import predicates, stored_predicates
from .formula import And, Atom, Count, Exists, Formula, Not, Or, conjuncts, is_class_atom
from .plan import Clause
from .worlds import Env

_COMPARE = {">=": np.greater_equal, "<=": np.less_equal, "=": np.equal}
STORED = stored_predicates()


def decide(index: EntityIndex, clause: Clause, candidates: np.ndarray) -> dict[int, Env] | None:
    """world -> witness for the candidate worlds where the clause holds, or None when the
    clause is not of these shapes."""
    formula = clause.formula
    if len(clause.variables) == 1:
        variable = clause.variables[0]
        parts = conjuncts(formula)
        tables = [_table(p, variable) for p in parts]
        lonely = [_no_partner(p, variable) for p, t in zip(parts, tables) if t is None]
        classes = [t for t in tables if t is not None]
        if not classes or None in lonely:
            return None
        return _members(index, variable, np.logical_and.reduce(classes), lonely, candidates)
    if clause.variables:
        return None
    if isinstance(formula, Count) and is_class_atom(formula.body, formula.variable):
        op, n = _COMPARE[formula.op], formula.n
    elif (
        isinstance(formula, Exists)
        and len(formula.variables) == 1
        and is_class_atom(formula.body, formula.variables[0])
    ):
        op, n = np.greater_equal, 1
    else:
        return None
    counts = index.class_counts(formula.body.predicate)[candidates]
    return {int(w): {} for w in candidates[op(counts, n)]}


def _table(f: Formula, variable: str) -> np.ndarray | None:
    """Booleans by class code: which classes make `f` true of `variable`, when `f` is
    made of class atoms on it with and, or, not; else None."""
    match f:
        case Atom(predicate=name, args=(v,)) if v == variable:
            return class_table(frozenset((name,)))
        case Not(body=body):
            inner = _table(body, variable)
            return None if inner is None else ~inner
        case And(parts=parts) | Or(parts=parts):
            found = [_table(p, variable) for p in parts]
            if any(t is None for t in found):
                return None
            return (np.logical_and if isinstance(f, And) else np.logical_or).reduce(found)
    return None


# (stored relation, whether the variable is its second argument, the partner's class table)
Lonely = tuple[str, bool, np.ndarray]


def _no_partner(f: Formula, variable: str) -> Lonely | None:
    """not exists b: (class atoms on b & one stored relation between `variable` and b)."""
    if not (isinstance(f, Not) and isinstance(f.body, Exists) and len(f.body.variables) == 1):
        return None
    partner = f.body.variables[0]
    parts = conjuncts(f.body.body)
    tables = [_table(p, partner) for p in parts]
    classes = [t for t in tables if t is not None]
    links = [p for p, t in zip(parts, tables) if t is None]
    if not classes or len(links) != 1 or not isinstance(links[0], Atom):
        return None
    link = links[0]
    if link.predicate not in STORED or set(link.args) != {variable, partner}:
        return None
    stored, swapped = predicates()[link.predicate].stored_as
    second = (link.args[0] == variable) == swapped  # the variable is the stored pair's second
    return stored.name, second, np.logical_and.reduce(classes)


def _members(
    index: EntityIndex,
    variable: str,
    classes: np.ndarray,
    lonely: list[Lonely],
    candidates: np.ndarray,
) -> dict[int, Env]:
    in_candidates = np.zeros(index.worlds, dtype=bool)
    in_candidates[candidates] = True
    keep = classes[index.cls] & in_candidates[index.world_of_row]
    for name, second, partner in lonely:
        pairs = index.pairs[name]
        mine, theirs = (pairs[:, 1], pairs[:, 0]) if second else (pairs[:, 0], pairs[:, 1])
        keep[mine[partner[index.cls[theirs]]]] = False  # has such a partner
    rows = np.flatnonzero(keep)
    if not len(rows):
        return {}
    world = index.world_of_row[rows]
    order = np.lexsort((rows, -index.conf[rows], world))  # by world, most confident first
    first = order[np.concatenate([[True], world[order][1:] != world[order][:-1]])]
    return {int(w): {variable: int(r)} for w, r in zip(world[first], rows[first])}
