"""A Clause -> SPARQL 1.1 selecting the images where it holds, on any endpoint. The engine
answers from the entity index; this query is what an answer shows, for users to read and to
re-run anywhere (the portable path). `naive` is the direct one-join translation the query
benchmark compares against.

Variables become `?v_<name>` (user names are lower case; every name this module adds has an
upper-case part, so they never collide). Positive class atoms and stored relations become
triple patterns; the rest becomes FILTER expressions, quantifiers become (NOT) EXISTS, and
counting quantifiers expand into N distinct, ordered copies of their variable. Every term comes
from the ontology or from pyoxigraph's rendering; no user text reaches the query.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..errors import QueryError
from ..kg.geometry import DEFAULT_THRESHOLDS, Thresholds
from ..vocab import ONTOLOGY, RUNE, RUNE_NS, predicates, stored_predicates
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
    rename,
)
from .plan import Clause, waits_for

PREFIX = "PREFIX rune: <https://w3id.org/rune-kg/ontology#>\n"

# attribute -> (property, variable suffix)
_ATTRIBUTES = {
    "cx": (RUNE.centroidX, "CX"),
    "cy": (RUNE.centroidY, "CY"),
    "area": (RUNE.area, "AREA"),
    "long": (RUNE.longSide, "LONG"),
    "heading": (RUNE.heading, "HEADING"),
    "radius": (RUNE.boundingRadius, "RADIUS"),
    "cls": (RUNE.className, "CLS"),
}
_RELATION_ATTRIBUTES = {
    "left_of": ("cx", "cy"),
    "right_of": ("cx", "cy"),
    "above": ("cx", "cy"),
    "below": ("cx", "cy"),
    "far_from": ("cx", "cy", "long", "radius"),
    "larger_than": ("area",),
    "parallel": ("heading",),
    "same_class": ("cls",),
}
_STORED = stored_predicates()


def _stored_pattern(p: str, x: str, y: str) -> str:
    """The property path that links ?x to ?y when stored relation p(x, y) holds."""
    relation, swapped = predicates()[p].stored_as
    a, b = (y, x) if swapped else (x, y)
    prop = term(relation.iri)
    return (
        f"{var(a)} {prop}|^{prop} {var(b)}" if relation.symmetric else f"{var(a)} {prop} {var(b)}"
    )


def var(name: str) -> str:
    return f"?v_{name}"


def attr(name: str, attribute: str) -> str:
    return f"?v_{name}_{_ATTRIBUTES[attribute][1]}"


def _attributes_needed(f: Formula) -> dict[str, set[str]]:
    needed: dict[str, set[str]] = {}

    def walk(g: Formula) -> None:
        match g:
            case Atom(predicate=p, args=args) if p in _RELATION_ATTRIBUTES:
                for a in args:
                    needed.setdefault(a, set()).update(_RELATION_ATTRIBUTES[p])
            case Count(variable=v, body=body, n=n):  # the copies that counting expands into
                for i in range(1, n + 2):
                    walk(rename(body, v, _copy(v, i)))
                return
        for child in children(g):
            walk(child)

    walk(f)
    return needed


def _copy(variable: str, i: int) -> str:
    return f"{variable}_N{i}"


class _Compiler:
    def __init__(self, formula: Formula, thresholds: Thresholds):
        self.needed = _attributes_needed(formula)
        self.t = thresholds

    # -- patterns: bind new variables, one nesting level each, where a conjunction holds ------
    def nested(
        self,
        variables: tuple[str, ...],
        scope: tuple[str, ...],
        parts: tuple[Formula, ...],
        ordering: bool = False,
    ) -> str:
        """A group pattern binding variables[0] where some values of the other variables complete
        it.

        Each further variable sits in a FILTER EXISTS of its own, so that every condition is
        checked as soon as its variables are bound and the search stops at the first completion
        (a flat join would build the cross product of all candidates first). With `ordering`,
        consecutive variables are ordered by IRI (used for counting copies).
        """
        return self._level(variables, 0, scope, self._assign(variables, scope, parts), ordering)

    def _assign(self, variables, scope, parts) -> list[list[Formula]]:
        """Each conjunct goes to the level where the last variable it waits for is bound
        (plan.waits_for; level 0 if none)."""
        levels: list[list[Formula]] = [[] for _ in variables]
        for part in parts:
            levels[max(waits_for(part, variables, parts), default=0)].append(part)
        return levels

    def _level(self, variables, i, scope, levels, ordering) -> str:
        v = variables[i]
        bound = (*scope, *variables[: i + 1])
        lines, rest = [], []
        for part in levels[i]:
            if isinstance(part, Atom) and part.predicate in _STORED:
                lines.insert(0, self._stored(part))  # joins to bound variables first
            elif (
                isinstance(part, Atom) and part.predicate in ONTOLOGY.classes and part.args[0] == v
            ):
                lines.append(f"{var(v)} a {term(ONTOLOGY.classes[part.predicate].iri)} .")
            else:
                rest.append(part)
        linked = any(
            isinstance(p, Atom) and p.predicate in _STORED and v in p.args for p in levels[i]
        )
        if not linked:  # a stored relation to a bound entity already keeps v in the same image
            lines.append(f"{var(v)} rune:inImage ?image .")
        lines += self.attribute_triples(v)
        others = (*scope, *variables[:i])
        if others:
            lines.append("FILTER(" + " && ".join(f"{var(v)} != {var(w)}" for w in others) + ")")
        if ordering and i > 0:
            lines.append(f"FILTER(STR({var(variables[i - 1])}) < STR({var(v)}))")
        if rest:
            lines.append(
                f"FILTER({self.expr(And(tuple(rest)) if len(rest) > 1 else rest[0], bound)})"
            )
        if i + 1 < len(variables):
            lines.append(
                f"FILTER EXISTS {{\n{self._level(variables, i + 1, scope, levels, ordering)}\n}}"
            )
        return "\n".join(lines)

    def attribute_triples(self, v: str) -> list[str]:
        return [
            f"{var(v)} {term(_ATTRIBUTES[a][0])} {attr(v, a)} ."
            for a in sorted(self.needed.get(v, set()))
        ]

    def _stored(self, atom: Atom) -> str:
        return _stored_pattern(atom.predicate, *atom.args) + " ."

    # -- expressions: truth of a formula whose free variables are bound ---------------------
    def expr(self, f: Formula, scope: tuple[str, ...]) -> str:
        match f:
            case Atom(predicate=p, args=(x,)):
                return f"EXISTS {{ {var(x)} a {term(ONTOLOGY.classes[p].iri)} }}"
            case Atom(predicate=p, args=(x, y)):
                return self.relation(p, x, y)
            case Not(body=body):
                return f"!({self.expr(body, scope)})"
            case And(parts=parts):
                return "(" + " && ".join(self.expr(p, scope) for p in parts) + ")"
            case Or(parts=parts):
                return "(" + " || ".join(self.expr(p, scope) for p in parts) + ")"
            case Implies(premise=p, conclusion=c):
                return f"(!({self.expr(p, scope)}) || {self.expr(c, scope)})"
            case Exists(variables=vs, body=body):
                return f"EXISTS {{\n{self.nested(vs, scope, conjuncts(body))}\n}}"
            case ForAll(variables=vs, body=body):
                return f"NOT EXISTS {{\n{self.nested(vs, scope, conjuncts(negate(body)))}\n}}"
            case Count(op=op, n=n, variable=v, body=body):
                at_least = lambda k: self.at_least(k, v, body, scope)  # noqa: E731
                if op == ">=":
                    return at_least(n)
                if op == "<=":
                    return f"!({at_least(n + 1)})"
                return f"({at_least(n)} && !({at_least(n + 1)}))"
        raise QueryError(f"cannot rewrite {f!r} as SPARQL")

    def at_least(self, n: int, v: str, body: Formula, scope: tuple[str, ...]) -> str:
        if n <= 0:
            return "true"
        if not scope and isinstance(body, Atom) and body.predicate in ONTOLOGY.classes:
            # "at least n C's" with no other entity in scope: the stored class count answers it.
            name = ox.Literal(body.predicate)
            return (
                f"EXISTS {{ ?image rune:classCount ?K . "
                f"?K rune:countedClassName {name} ; rune:count ?KN . "
                f"FILTER(?KN >= {int(n)}) }}"
            )
        copies = tuple(_copy(v, i) for i in range(1, n + 1))
        parts = tuple(c for i in copies for c in conjuncts(rename(body, v, i)))
        return f"EXISTS {{\n{self.nested(copies, scope, parts, ordering=True)}\n}}"

    def relation(self, p: str, x: str, y: str) -> str:
        if x == y:
            return "false"  # relations hold between distinct entities only
        if p in _STORED:
            return f"EXISTS {{ {_stored_pattern(p, x, y)} }}"
        dx, dy = f"({attr(x, 'cx')} - {attr(y, 'cx')})", f"({attr(x, 'cy')} - {attr(y, 'cy')})"
        if p == "left_of":
            return f"({dx} < 0 && ABS({dy}) <= ABS({dx}))"
        if p == "right_of":
            return f"({dx} > 0 && ABS({dy}) <= ABS({dx}))"
        if p == "above":
            return f"({dy} < 0 && ABS({dx}) <= ABS({dy}))"
        if p == "below":
            return f"({dy} > 0 && ABS({dx}) <= ABS({dy}))"
        if p == "larger_than":
            return f"({attr(x, 'area')} > {attr(y, 'area')})"
        if p == "same_class":
            return f"({attr(x, 'cls')} = {attr(y, 'cls')})"
        if p == "parallel":
            d = f"ABS({attr(x, 'heading')} - {attr(y, 'heading')})"
            limit = _double(self.t.parallel_degrees)
            return f"({d} <= {limit} || 180.0e0 - {d} <= {limit})"
        if p == "far_from":
            lx, ly = attr(x, "long"), attr(y, "long")
            longest = f"({_double(self.t.far_factor)} * IF({lx} >= {ly}, {lx}, {ly}))"
            reach = f"({longest} + {attr(x, 'radius')} + {attr(y, 'radius')})"
            by_bound = f"({dx} * {dx} + {dy} * {dy} > {reach} * {reach})"
            far = term(RUNE.farWithinBound)
            return f"({by_bound} || EXISTS {{ {var(x)} {far}|^{far} {var(y)} }})"
        raise QueryError(f"no SPARQL for predicate {p}")


def _double(value: float) -> str:
    """A double literal in SPARQL's short form, e.g. 5.0e0."""
    text = repr(float(value))
    return text if "e" in text else text + "e0"


def term(node: ox.NamedNode) -> str:
    """rune: IRIs as prefixed names (their local names are plain identifiers), others in full."""
    local = node.value[len(RUNE_NS) :]
    return f"rune:{local}" if node.value.startswith(RUNE_NS) and local.isidentifier() else str(node)


def rewrite(
    clause: Clause, order: tuple[str, ...], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> str:
    """SPARQL selecting the images where `clause` holds, its variables nested in `order` (most
    selective first). It runs as is on the store, or on any SPARQL 1.1 endpoint holding the
    same graph (reading the union of all sources)."""
    compiler = _Compiler(clause.formula, thresholds)
    if not order:
        body = f"FILTER({compiler.expr(clause.formula, ())})"
    else:
        body = f"FILTER EXISTS {{\n{compiler.nested(order, (), conjuncts(clause.formula))}\n}}"
    return PREFIX + f"SELECT ?image WHERE {{\n?image a rune:Image .\n{body}\n}}\nORDER BY ?image"


def naive(formula: Formula, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """The direct translation, for comparison: the whole formula as one SPARQL join of all its
    top-level variables (class atoms and stored relations as triple patterns, everything else
    as FILTERs, nested quantifiers as FILTER (NOT) EXISTS). Correct on any endpoint; slow,
    since the join enumerates every combination of candidate entities before filtering."""
    variables = list(free_variables(formula))
    body = formula
    while isinstance(body, Exists):
        variables += [v for v in body.variables if v not in variables]
        body = body.body
    compiler = _Compiler(body, thresholds)
    lines, filters = [], []
    for v in variables:
        lines.append(f"{var(v)} rune:inImage ?image .")
        lines += compiler.attribute_triples(v)
    for i, v in enumerate(variables):
        filters += [f"{var(w)} != {var(v)}" for w in variables[:i]]
    for part in conjuncts(body):
        if isinstance(part, Atom) and part.predicate in ONTOLOGY.classes:
            lines.append(f"{var(part.args[0])} a {term(ONTOLOGY.classes[part.predicate].iri)} .")
        elif isinstance(part, Atom) and part.predicate in _STORED:
            lines.append(compiler._stored(part))
        else:
            filters.append(compiler.expr(part, tuple(variables)))
    if not variables:
        lines.append("?image a rune:Image .")
    where = "\n".join(lines + [f"FILTER({f})" for f in filters])
    return PREFIX + f"SELECT DISTINCT ?image WHERE {{\n{where}\n}}\nORDER BY ?image"
