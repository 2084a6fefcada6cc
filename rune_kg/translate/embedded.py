"""The embedded translator: a question in English -> Formula, with no model weights.

It reads the question as noun phrases ("four cars", "no other ship", "every harbor") joined by
spatial phrases ("next to", "west of"), arrangements ("in a column"), "with"/"without",
relative clauses ("that is ... and ..."), "and" and "or"; every word must take part, or the
question is refused with the words it did not understand. Phrases are read by a backtracking
parser over the lexicon's readings; the parse tree then becomes a formula (see `_Builder`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import combinations

from ..errors import TranslationError
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
    canonical,
    free_variables,
)
from ..query.parse import parse
from ..vocab import ONTOLOGY, symmetric_predicates
from . import lexicon

SYMMETRIC = symmetric_predicates()
ROW_OF_UNKNOWN_LENGTH = 3  # "cars in a row": a row needs three
MAX_GROUP = 8  # explicit variables one arranged group may take ("eight cars in a row")


@dataclass(eq=False)
class Group:
    """The entities one noun phrase speaks of."""

    classes: tuple[str | None, ...]  # a disjunction of classes; None: any entity
    kind: str = "some"  # some (n explicit variables) | count | none | none_of | every | only
    op: str = ">="  # count only: >=, <=, = or between
    n: int | tuple[int, int] = 1  # (low, high) for between
    definite: bool = False  # "the harbor": the harbor mentioned before, if any
    other: bool = False  # "another ship": a ship other than the one mentioned
    arrangements: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Relation:
    predicate: str
    swapped: bool  # "smaller than": larger_than(target, subject)
    negated: bool  # "not far from": ~far_from
    target: Phrase | str  # a phrase, "it" (the phrase modified) or "each other"


@dataclass(eq=False)
class Phrase:
    group: Group
    relations: list[Relation] = field(default_factory=list)
    withs: list[Phrase] = field(default_factory=list)  # co-occurring phrases ("with", "without")
    surrounded_by: Phrase | None = None


class _NoParse(Exception):
    pass


class _Parser:
    """Backtracking recursive descent; each rule yields (result, next position), best first."""

    def __init__(self, question: str):
        self.question = question
        self.words = lexicon.rewrite(lexicon.words(question))
        self.readings = [lexicon.readings(self.words, i) for i in range(len(self.words))]
        self.furthest = 0  # the furthest word any reading reached, for the error message

    def at(self, i: int, *kinds: str) -> Iterator[tuple[str, object, int]]:
        """Readings at word i of the given kinds: (kind, value, next position)."""
        if i < len(self.words):
            for kind, value, n in self.readings[i]:
                if kind in kinds:
                    self.furthest = max(self.furthest, i + n)
                    yield kind, value, i + n

    def many(self, i: int, *kinds: str) -> Iterator[int]:
        """Positions after any run of the given kinds, longest first."""
        for _, _, j in self.at(i, *kinds):
            yield from self.many(j, *kinds)
        yield i

    # -- question ---------------------------------------------------------------------------
    def question_(self) -> list[list[Phrase]]:
        for i in self._opening(0):
            for parts, j in self.disjunction(i):
                for k in self.many(j, "tail"):
                    if k == len(self.words):
                        return parts
        raise _NoParse

    def _opening(self, i: int) -> Iterator[int]:
        """ "show me images with", "is there", "find all pictures where" ..."""
        for j in self.many(i, "lead"):
            found_image = False
            for k in [j] + [k for _, _, k in self.at(j, "det", "every")]:
                for _, _, m in self.at(k, "image"):
                    found_image = True
                    yield from self.many(m, "lead", "with")
            if not found_image:
                yield j

    def disjunction(self, i: int) -> Iterator[tuple[list[list[Phrase]], int]]:
        return self.separated(i, self.conjunction, "or")

    def conjunction(self, i: int) -> Iterator[tuple[list[Phrase], int]]:
        return self.separated(i, self.top_phrase, "and")

    def separated(self, i: int, item, separator: str) -> Iterator[tuple[list, int]]:
        """Items joined by a separator, the longest lists first; one item only when no list
        follows."""
        for first, j in item(i):
            found = False
            for _, _, k in self.at(j, separator):
                for rest, m in self.separated(k, item, separator):
                    found = True
                    yield [first, *rest], m
            if not found:
                yield [first], j

    def top_phrase(self, i: int) -> Iterator[tuple[Phrase, int]]:
        yield from self.pair(i)
        for _, _, j in self.at(i, "without"):
            for phrase, k in self.phrase(j, head=True):
                if phrase.group.kind == "some" and not phrase.group.definite:
                    yield _none(phrase), k
        for j in self.many(i, "lead", "with"):
            yield from self.phrase(j, head=True)

    def pair(self, i: int) -> Iterator[tuple[Phrase, int]]:
        """ "a ship and a harbor next to each other": a symmetric relation between two phrases."""
        for first, j in self.phrase(i, head=False):
            for _, _, k in self.at(j, "and"):
                for second, m in self.phrase(k, head=False):
                    for n in self.many(m, "link"):
                        for predicate, end in self._mutual(n):
                            yield (
                                _with(first, relations=[Relation(predicate, False, False, second)]),
                                end,
                            )

    def _mutual(self, i: int) -> Iterator[tuple[str, int]]:
        for _, arrangement, j in self.at(i, "arrangement"):
            if arrangement in SYMMETRIC:
                yield arrangement, j
        for _, (predicate, _swapped, negated), j in self.at(i, "relation"):
            for _, pronoun, k in self.at(j, "pronoun"):
                if pronoun == "each other" and predicate in SYMMETRIC and not negated:
                    yield predicate, k

    # -- noun phrases -----------------------------------------------------------------------
    def phrase(self, i: int, head: bool) -> Iterator[tuple[Phrase, int]]:
        for group, j in self.noun(i):
            if (
                len(group.classes) > 1 and not head
            ):  # "near a harbor or a plane near ...": two sentences
                yield Phrase(group), j
            else:
                yield from self.modifiers(Phrase(group), j, head, previous=None)

    def noun(self, i: int) -> Iterator[tuple[Group, int]]:
        arranged = list(self.at(i, "arrangement_noun"))
        for _, arrangement, j in arranged:
            for group, k in self._counted_noun(j):
                group.arrangements.append(arrangement)
                yield group, k
        yield from self._counted_noun(i)

    def _counted_noun(self, i: int) -> Iterator[tuple[Group, int]]:
        for spec, j in self.quantity(i):
            for classes, k in self.classes(j):
                kind, op, n, definite, other, arrangements = spec
                yield Group(classes, kind, op, n, definite, other, list(arrangements)), k

    def quantity(self, i: int) -> Iterator[tuple[tuple, int]]:
        """What comes before the class noun: (kind, op, n, definite, other, arrangements)."""
        for spec, j in self._amount(i):
            for k in self.many(j, "other"):
                other = k > j
                for _, arrangement, m in self.at(k, "arrangement"):
                    if arrangement in ("parallel", "line", "overlaps"):
                        yield (*spec[:3], spec[3], other or spec[4], [arrangement]), m
                yield (*spec[:3], spec[3], other or spec[4], []), k

    def _amount(self, i: int) -> Iterator[tuple[tuple, int]]:
        for kind, value, j in self.at(
            i, "compare", "number", "vague", "no", "every", "only", "det", "other", "between"
        ):
            if kind == "between":  # "between 2 and 4 ships"
                for _, low, k in self.at(j, "number"):
                    for _, _, m in self.at(k, "and", "compare"):
                        for _, high, n in self.at(m, "number"):
                            if low <= high:
                                yield ("count", "between", (low, high), False, False), n
            elif kind == "compare":
                for _, n, k in self.at(j, "number"):
                    yield _compared(value, n), k
            elif kind == "number":
                for _, op, k in self.at(j, "compare_after"):
                    yield ("count", op, value, False, False), k
                yield ("some" if value == 1 else "count", ">=", value, False, False), j
            elif kind == "vague":
                yield ("count", ">=", value, False, False), j
            elif kind == "no":
                yield ("none" if value == "no" else "none_of", ">=", 1, False, False), j
            elif kind == "every":
                yield ("every", ">=", 1, False, False), j
            elif kind == "only":
                for _, n, k in self.at(j, "number"):
                    yield ("count", "=", n, False, False), k
                yield ("only", ">=", 1, False, False), j
            elif kind == "det":
                yield ("some", ">=", 1, value == "the", False), j
            elif kind == "other":
                yield ("some", ">=", 1, False, True), j
        yield ("some", ">=", 1, False, False), i

    def classes(self, i: int) -> Iterator[tuple[tuple[str | None, ...], int]]:
        """One class noun, or several joined by "or": "a plane or a helicopter"."""
        for _, (name, _plural), j in self.at(i, "class"):
            for _, _, k in self.at(j, "or"):
                for m in self.many(k, "det"):
                    for rest, n in self.classes(m):
                        yield (name, *rest), n
            yield (name,), j

    # -- modifiers ------------------------------------------------------------------------
    def modifiers(
        self, phrase: Phrase, i: int, head: bool, previous: str | None
    ) -> Iterator[tuple[Phrase, int]]:
        """Relations, arrangements, "with"/"without" phrases after the noun, longest first.
        Only a sentence's head phrases take "with" phrases and a second relation, which needs
        an "and" ("a ship near a harbor and west of a bridge"); without it the relation belongs
        to the last phrase ("a ship near a harbor west of a bridge": the harbor is west of it)."""
        starts = [(i, False)]
        if head and previous is not None:
            starts = [(k, True) for _, _, k in self.at(i, "and")] + starts
        for start, joined in starts:
            for j in self.many(start, "link"):
                for (modified, kind), k in self.modifier(phrase, j, head):
                    if kind == "relation" and previous == "relation" and not joined and j == start:
                        continue
                    yield from self.modifiers(modified, k, head, previous=kind)
        yield phrase, i

    def modifier(
        self, phrase: Phrase, i: int, head: bool
    ) -> Iterator[tuple[tuple[Phrase, str], int]]:
        starts = [(i, False)] + [(j, True) for _, _, j in self.at(i, "not")]
        for start, negated in starts:
            for _, (predicate, swapped, flat_negation), j in self.at(start, "relation"):
                for targets, k in self.targets(j, head):
                    if targets == ["each other"]:
                        if predicate in SYMMETRIC and not negated and not flat_negation:
                            yield (_with(phrase, arrangements=[predicate]), "arrangement"), k
                        continue
                    relations = [
                        self._relation(predicate, swapped, flat_negation, negated, t)
                        for t in targets
                    ]
                    if None not in relations:
                        yield (_with(phrase, relations=relations), "relation"), k
        for _, arrangement, j in self.at(i, "arrangement"):
            yield (_with(phrase, arrangements=[arrangement]), "arrangement"), j
        for _, _, j in self.at(i, "between"):
            for ends, k in self._between(j):
                yield (
                    (
                        _with(phrase, relations=[Relation("between", False, False, ends)]),
                        "relation",
                    ),
                    k,
                )
        if head:
            for _, _, j in self.at(i, "surrounding"):  # "cars surrounding a roundabout"
                for center, k in self.phrase(j, head=False):
                    if _plain(center):
                        yield (_with(center, surrounded=phrase), "relation"), k
            for kind, _, j in self.at(i, "with", "without", "surrounded"):
                for inner, k in self.phrase(j, head=False):
                    if kind == "surrounded":
                        if phrase.surrounded_by is None:
                            yield (_with(phrase, surrounded=inner), "relation"), k
                        continue
                    if kind == "without":
                        if inner.group.kind != "some" or inner.group.definite:
                            continue
                        inner = _none(inner)
                    yield (_with(phrase, withs=[inner]), "with"), k

    def _between(self, i: int) -> Iterator[tuple[tuple[Phrase, ...], int]]:
        """ "between a ship and a bridge", "between two trucks": the two ends."""
        for first, j in self.phrase(i, head=False):
            if not _plain(first) and not _pair(first):
                continue
            if _pair(first):
                yield (first,), j
            for _, _, k in self.at(j, "and"):
                for second, m in self.phrase(k, head=False):
                    if _plain(first) and _plain(second):
                        yield (first, second), m

    def targets(self, i: int, head: bool) -> Iterator[tuple[list[Phrase | str], int]]:
        """What a relation points at: "a harbor", "it", "each other", or a plain list
        ("next to a soccer field and a tennis court": next to each)."""
        for first, j in self.phrase(i, head=False):
            if _plain(first):
                for rest, k in self._more_targets(j):
                    yield [first, *rest], k
        for target, j in self.target(i, head):
            yield [target], j

    def _more_targets(self, i: int) -> Iterator[tuple[list[Phrase], int]]:
        for _, _, j in self.at(i, "and"):
            for k in [m for _, _, m in self.at(j, "and")] + [j]:  # "a, b, and c"
                for phrase, m in self.phrase(k, head=False):
                    if _plain(phrase):
                        for rest, n in self._more_targets(m):
                            yield [phrase, *rest], n
                        yield [phrase], m

    @staticmethod
    def _relation(
        predicate: str, swapped: bool, flat_negation: bool, negated: bool, target: Phrase | str
    ) -> Relation | None:
        if target == "each other":
            return None
        if negated and not isinstance(target, str) and not target.group.definite:
            # "not near a harbor": near no harbor
            if target.group.kind != "some" or target.group.n != 1:
                return None
            target, negated = _none(target), False
        return Relation(predicate, swapped, flat_negation != negated, target)

    def target(self, i: int, head: bool) -> Iterator[tuple[Phrase | str, int]]:
        for _, pronoun, j in self.at(i, "pronoun"):
            yield pronoun, j
        yield from self.phrase(i, head=False)
        if not head:
            yield "it", i  # "a ship with no other ship nearby": near the ship modified


def _compared(op: str, n: int) -> tuple:
    if op == ">":
        return ("count", ">=", n + 1, False, False)
    if op == "<":
        return ("count", "<=", n - 1, False, False) if n > 0 else ("none", ">=", 1, False, False)
    if op == "=" and n == 0:
        return ("none", ">=", 1, False, False)
    if op == "<=" and n == 0:
        return ("none", ">=", 1, False, False)
    return ("count" if (op, n) != (">=", 1) else "some", op, n, False, False)


def _plain(phrase: Phrase) -> bool:
    """A phrase that can be one of a list of targets: something that exists, undescribed."""
    return phrase.group.kind == "some" and not (
        phrase.relations or phrase.withs or phrase.group.arrangements or phrase.surrounded_by
    )


def _pair(phrase: Phrase) -> bool:
    """ "two trucks": a plain phrase of at least two entities."""
    group = phrase.group
    return (
        group.kind == "count"
        and group.op == ">="
        and group.n == 2
        and not (phrase.relations or phrase.withs or group.arrangements or phrase.surrounded_by)
    )


def _none(phrase: Phrase) -> Phrase:
    """The phrase with its group negated: "without ships", "not near a harbor"."""
    return replace(
        phrase,
        group=replace(phrase.group, kind="none", arrangements=list(phrase.group.arrangements)),
    )


def _with(phrase: Phrase, relations=(), arrangements=(), withs=(), surrounded=None) -> Phrase:
    """A copy of phrase with more modifiers (parses share nothing mutable across alternatives)."""
    group = Group(
        phrase.group.classes,
        phrase.group.kind,
        phrase.group.op,
        phrase.group.n,
        phrase.group.definite,
        phrase.group.other,
        [*phrase.group.arrangements, *arrangements],
    )
    return Phrase(
        group,
        [*phrase.relations, *relations],
        [*phrase.withs, *withs],
        surrounded if surrounded is not None else phrase.surrounded_by,
    )


@dataclass(eq=False)
class _Scope:
    """Where formulas go: the top of a sentence, or the body of a quantified group."""

    kind: str  # top | count | none | every | only
    group: Group | None
    parent: _Scope | None
    parts: list[Formula] = field(default_factory=list)
    children: list[_Scope] = field(default_factory=list)
    bound: list[str] = field(default_factory=list)  # variables of the existing groups bound here

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def region(self) -> _Scope:
        """Where an existing group inside this scope is bound: counting does not change which
        entities exist, so "three cars near a court" speaks of one court; negation and "every"
        do ("no ship near a crane" is about every crane)."""
        return self if self.kind != "count" else self.parent.region


class _Builder:
    """Parse tree -> Formula.

    A group spoken of as existing ("a ship", "four cars in a column") gets one variable per
    entity, free at the top (bound inside a negation or "every"); "three cars" becomes a counting
    quantifier, "no ship" a negated existential, "every ship" a universal with the presence of
    one, "only ships" a universal over the entities the phrase relates to. Relations are
    distributive ("four cars next to a court": each car is next to it) and are written in the
    innermost scope that sees both their variables.
    """

    def __init__(self, question: str):
        self.question = question
        self.letters = iter("abcdefghijklmnopqrstuvwxyz")
        self.groups: list[Group] = []
        self.inner: dict[int, _Scope] = {}  # id(group) -> the scope its variables are seen in

    def fail(self, message: str):
        raise TranslationError(message, self.question)

    def sentence(self, phrases: list[Phrase]) -> Formula:
        top = _Scope("top", None, None)
        for phrase in phrases:
            self.phrase(phrase, parent=None, link=None, scope=top)
        return self.render(top)

    # -- building -------------------------------------------------------------------------
    def phrase(
        self, phrase: Phrase, parent: Group | None, link: Relation | None, scope: _Scope
    ) -> None:
        """Place one phrase: `parent` is the group it is attached to, by `link` when it is the
        target of a relation, in `scope` (the scope the parent is seen in)."""
        group = phrase.group
        earlier = self._antecedent(group) if group.definite else None
        if earlier is not None:
            group = earlier
        else:
            self._declare(group, scope)
        if link is not None:
            self._place(self._relation(link, parent, group), parent, group)
        for arrangement in group.arrangements if earlier is None else ():
            self._place(self._arrangement(group, arrangement), group)
        inner = self.inner[id(group)]
        for relation in phrase.relations:
            if relation.predicate == "between":
                self._between(group, relation.target, inner)
                continue
            if relation.target == "it":
                target = self._implicit_target(group, parent)
                self._place(self._relation(relation, group, target), group, target)
            else:
                self.phrase(relation.target, parent=group, link=relation, scope=inner)
        for other in phrase.withs:
            self.phrase(other, parent=group, link=None, scope=inner)
        if phrase.surrounded_by is not None:
            self._surrounded(phrase.surrounded_by, group, inner)

    def _declare(self, group: Group, scope: _Scope) -> None:
        if group.arrangements and group.kind == "count":
            if group.op != ">=":
                self.fail(
                    f"an arrangement ({', '.join(group.arrangements)}) of {_amount(group)} "
                    f"{_class_words(group)} is not supported: say 'at least'"
                )
            group.kind = "some"
        if group.arrangements and group.kind != "some":
            self.fail(
                f"an arrangement ({', '.join(group.arrangements)}) needs entities that exist, "
                f"not {group.kind!r} {_class_words(group)}"
            )
        if group.arrangements and group.n == 1:  # "cars in a row", "ships parallel to each other"
            lines = {"row", "column", "line"} & set(group.arrangements)
            group.n = ROW_OF_UNKNOWN_LENGTH if lines else 2
        if group.kind == "some" and group.n > MAX_GROUP:
            self.fail(f"an arrangement of more than {MAX_GROUP} entities is not supported")
        group.variables = [self._variable() for _ in range(group.n if group.kind == "some" else 1)]
        if group.kind == "some":
            region = scope.region
            region.bound += group.variables
            self.inner[id(group)] = region
        else:
            region = _Scope(group.kind, group, scope)
            scope.children.append(region)
            self.inner[id(group)] = region
        region.parts += [self._class(group, v) for v in group.variables]
        self.groups.append(group)

    def _variable(self) -> str:
        try:
            return next(self.letters)
        except StopIteration:
            self.fail("the question speaks of more than 26 entities")

    def _antecedent(self, group: Group) -> Group | None:
        for earlier in reversed(self.groups):
            if earlier.classes == group.classes and earlier.kind == "some":
                return earlier
        return None

    def _implicit_target(self, group: Group, parent: Group | None) -> Group:
        """What "it" or an unstated target means: for "another ship", the ship before; else the
        phrase modified ("a harbor with ships near it"), or the last thing named ("a pool larger
        than a court and near it")."""
        candidates = [g for g in reversed(self.groups) if g is not group and g.kind == "some"]
        if group.other:
            for earlier in candidates:
                if earlier.classes == group.classes:
                    return earlier
        if parent is not None:
            return parent
        if not candidates:
            self.fail(f"'{_class_words(group)}' has a relation without anything to relate to")
        return candidates[0]

    def _place(self, formula: Formula, *groups: Group) -> None:
        """Add formula to the deepest of the groups' scopes (each must see the others)."""
        scopes = sorted((self.inner[id(g)] for g in groups), key=lambda s: s.depth)
        deepest = scopes[-1]
        for s in scopes[:-1]:
            up = deepest
            while up is not None and up is not s:
                up = up.parent
            if up is None:
                self.fail(
                    "a relation refers to an entity outside the part of the question it belongs to"
                )
        deepest.parts.append(formula)

    def _relation(self, relation: Relation, subject: Group, target: Group) -> Formula:
        atoms: list[Formula] = []
        for a in subject.variables:
            for b in target.variables:
                atom = Atom(relation.predicate, (b, a) if relation.swapped else (a, b))
                atoms.append(Not(atom) if relation.negated else atom)
        return _conjoin(atoms)

    def _class(self, group: Group, v: str) -> Formula:
        names = (
            tuple(dict.fromkeys(group.classes)) if None not in group.classes else _root_classes()
        )
        return _disjoin([Atom(c, (v,)) for c in names])

    def _arrangement(self, group: Group, arrangement: str) -> Formula:
        vs = group.variables
        if len(vs) < 2:
            self.fail(
                f"'{_class_words(group)}' {arrangement}: an arrangement needs two or more entities"
            )
        row = _conjoin([Atom("left_of", (a, b)) for a, b in zip(vs, vs[1:])])
        column = _conjoin([Atom("below", (b, a)) for a, b in zip(vs, vs[1:])])
        if arrangement == "row":
            return row
        if arrangement == "column":
            return column
        if arrangement == "line":
            return Or((row, column))
        if arrangement == "side_by_side":
            return _conjoin(
                [Atom(p, pair) for pair in combinations(vs, 2) for p in ("near", "parallel")]
            )
        return _conjoin([Atom(arrangement, pair) for pair in combinations(vs, 2)])

    def _between(self, group: Group, ends: tuple[Phrase, ...], scope: _Scope) -> None:
        """x between a and b: in a row or a column with them, on either side: a left of x left
        of b (or the reverse), or a above x above b (or the reverse)."""
        groups = []
        for end in ends:
            if len(ends) == 1:  # "between two trucks": two explicit entities
                end.group.kind, end.group.n = "some", 2
            self.phrase(end, parent=group, link=None, scope=scope)
            groups.append(end.group)
        a, b = [v for g in groups for v in g.variables][:2]
        for x in group.variables:
            sides = [
                And((Atom(p, (first, x)), Atom(p, (x, second))))
                for p in ("left_of", "above")
                for first, second in ((a, b), (b, a))
            ]
            self._place(Or(tuple(sides)), group, *groups)

    def _surrounded(self, phrase: Phrase, center: Group, scope: _Scope) -> None:
        """ "surrounded by cars": a car on each of the four sides."""
        group = phrase.group
        if (
            group.kind not in ("some", "count")
            or (group.kind == "count" and group.op != ">=")
            or group.n > 4
            or group.arrangements
            or phrase.relations
            or phrase.withs
        ):
            self.fail(
                "'surrounded by' takes plain entities ('surrounded by cars'): a count above four, "
                "an arrangement or a relation after it is not supported"
            )
        group.kind, group.n = "some", 4
        self._declare(group, scope)
        for side, v in zip(("left_of", "right_of", "above", "below"), group.variables):
            self._place(_conjoin([Atom(side, (v, c)) for c in center.variables]), group, center)

    # -- rendering ------------------------------------------------------------------------
    def render(self, scope: _Scope) -> Formula:
        parts = scope.parts + [self.render(child) for child in scope.children]
        if scope.kind == "top":
            return _conjoin(parts)
        group = scope.group
        v = group.variables[0]
        n_class = 1  # the class atom comes first
        rest = _conjoin(parts[n_class:]) if parts[n_class:] else None
        cls = parts[0]
        if rest is not None and scope.bound:
            rest = Exists(tuple(scope.bound), rest)
        if scope.kind == "count" and group.op == "between":
            low, high = group.n
            return And(
                (Count(">=", low, v, _conjoin(parts)), Count("<=", high, v, _conjoin(parts)))
            )
        if scope.kind == "count":
            # what does not speak of the counted entities holds or fails for all of them alike
            own = [p for p in parts if v in free_variables(p)]
            apart = [p for p in parts if v not in free_variables(p)] if group.op != "<=" else []
            return _conjoin(
                [Count(group.op, group.n, v, _conjoin(own if apart else parts)), *apart]
            )
        if scope.kind in ("none", "none_of"):
            absent = Not(Exists((v, *scope.bound), _conjoin(parts)))
            # "none of the tanks ...": there are tanks (a clause of its own, so that the tank
            # that exists need not differ from the ones the negation speaks of)
            return absent if scope.kind == "none" else And((Exists((v,), cls), absent))
        if scope.kind == "every":
            return And(
                (Exists((v,), cls), ForAll((v,), cls if rest is None else Implies(cls, rest)))
            )
        # only: every entity related as the phrase says is of the class, and one is
        if scope.bound or scope.children:
            self.fail(
                "'only' is supported for entities with a relation to one thing ('a harbor with "
                "only "
                "ships near it'), not for entities with their own descriptions"
            )
        if rest is None:
            return And((Exists((v,), cls), ForAll((v,), cls)))
        return And((Exists((v,), _conjoin(parts)), ForAll((v,), Implies(rest, cls))))


@cache
def _root_classes() -> tuple[str, ...]:
    """Classes that together cover every entity: "an object" is one of these."""
    return tuple(c.name for c in ONTOLOGY.classes.values() if not c.ancestors)


def _amount(group: Group) -> str:
    if group.op == "between":
        return f"between {group.n[0]} and {group.n[1]}"
    return {">=": "at least", "<=": "at most", "=": "exactly"}[group.op] + f" {group.n}"


def _class_words(group: Group) -> str:
    return " or ".join(ONTOLOGY.classes[c].label if c else "entity" for c in group.classes)


def _conjoin(parts: list[Formula]) -> Formula:
    flat: list[Formula] = []
    for p in parts:
        flat.extend(p.parts if isinstance(p, And) else (p,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _disjoin(parts: list[Formula]) -> Formula:
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def translate_embedded(question: str, suggest: bool = True) -> Formula:
    """Translate one question; TranslationError names the words it could not use and, with
    `suggest`, up to three nearby questions that it does translate."""
    if not question or not question.strip():
        raise TranslationError("empty question", question or "")
    parser = _Parser(question)
    if not parser.words:
        raise TranslationError(
            f"found no words in {question.strip()[:40]!r}: ask, e.g., 'a ship near a harbor'",
            question,
        )
    unknown = [w for i, w in enumerate(parser.words) if not _covered(parser, i)]
    if unknown:
        raise TranslationError(
            _unknown_message(unknown),
            question,
            unknown=unknown,
            suggestions=_suggestions(parser, question) if suggest else [],
        )
    try:
        sentences = parser.question_()
    except _NoParse:
        stuck = (
            parser.words[min(parser.furthest, len(parser.words) - 1) :][:4] if parser.words else []
        )
        raise TranslationError(
            f"could not make sense of the question from {' '.join(stuck)!r} on. {SUPPORTED}",
            question,
            unknown=stuck,
            suggestions=_suggestions(parser, question) if suggest else [],
        ) from None
    builder = _Builder(question)
    formulas = [builder.sentence(s) for s in sentences]
    if len(formulas) > 1:  # each alternative brings its own entities
        formulas = [Exists(free_variables(f), f) if free_variables(f) else f for f in formulas]
    return parse(canonical(_disjoin(formulas)))  # validated like a typed formula


def _suggestions(parser: _Parser, question: str, most: int = 3) -> list[str]:
    """Nearby questions built from the words that were understood: the question without the
    rest, then its classes joined by its relations (or by "near" and "and"), then each class."""
    understood = [w for i, w in enumerate(parser.words) if _covered(parser, i)]
    classes: list[str] = []
    relations: list[str] = []
    i = 0
    while i < len(parser.words):
        found = parser.readings[i][0] if parser.readings[i] else None
        if found and found[0] == "class" and found[1][0] and found[1][0] not in classes:
            classes.append(found[1][0])
        elif found and found[0] == "relation" and not found[1][1] and not found[1][2]:
            relations.append(" ".join(parser.words[i : i + found[2]]))
        i += found[2] if found else 1
    labels = [ONTOLOGY.classes[c].label for c in classes]
    candidates = [" ".join(understood)]
    for first, second in zip(labels, labels[1:]):
        for relation in [*relations[:1], "near"]:
            candidates.append(f"{_article(first)} {relation} {_article(second)}")
        candidates.append(f"{_article(first)} and {_article(second)}")
    candidates += [_article(label) for label in labels]
    found: list[str] = []
    for candidate in dict.fromkeys(candidates):
        if candidate.strip() and candidate != question.strip().lower() and len(found) < most:
            try:
                translate_embedded(candidate, suggest=False)
                found.append(candidate)
            except TranslationError:
                continue
    return found


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _covered(parser: _Parser, i: int) -> bool:
    """Whether some known phrase covers word i."""
    return any(
        j <= i < j + n
        for j in range(max(0, i - lexicon.longest_phrase() + 1), i + 1)
        for _, _, n in parser.readings[j]
    )


def _unknown_message(unknown: list[str]) -> str:
    known = sorted({" ".join(p) for p in lexicon.phrases()})
    hints = []
    for word in unknown:
        close = difflib.get_close_matches(word, known, n=2, cutoff=0.8)  # not big -> being
        hints.append(
            f"{word!r}"
            + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
        )
    return f"did not understand {', '.join(hints)}. {SUPPORTED}"


SUPPORTED = (
    "It understands: the classes of the ontology by name or synonym (ship/boat, small vehicle/car, "
    "large vehicle/truck, plane, storage tank, harbor, ...); left of/west of, right of/east of, "
    "above/north of, below/south of, near/next to/beside, far from, on/overlapping, in/inside, "
    "containing, larger/smaller than, parallel to, of the same type as; a/three/at least 5/at "
    "most 2/"
    "exactly 4/between 2 and 4/several/many/no/every/only; in a row/column/line, each other, "
    "surrounded by; with, without, that is ..., and, or, not."
)
