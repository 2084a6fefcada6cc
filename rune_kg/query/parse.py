"""Parse stage: text -> Formula, validated against the ontology.

A recursive-descent parser of the grammar in QUERY_LANGUAGE.md: a quantifier's scope reaches as
far right as possible; keywords are case-insensitive; class predicates may be written with the
ontology's labels and synonyms (car -> small_vehicle). Every error names its position and, for
unknown names, the closest known ones.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from ..vocab import ONTOLOGY
from .formula import And, Atom, Count, Exists, ForAll, Formula, Implies, Not, Or, free_variables

_TOKEN = re.compile(
    r"\s*(?:(?P<count>(?:>=|<=|=))|(?P<arrow>->)|(?P<punct>[():,&|~])|(?P<int>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\S))"
)
_KEYWORDS = {"exists", "forall", "and", "or", "not"}
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")


class FormulaError(ValueError):
    """A formula that does not parse or does not fit the ontology; `position` is 0-based."""

    def __init__(self, message: str, position: int, text: str):
        self.message, self.position, self.text = message, position, text
        super().__init__(f"{message} (at column {position + 1})")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


@cache
def class_names() -> dict[str, str]:
    """Every accepted spelling of a class predicate -> its canonical name."""
    names: dict[str, str] = {}
    for c in ONTOLOGY.classes.values():
        for spelling in (c.label, *c.synonyms):
            names.setdefault(re.sub(r"[\s\-]+", "_", spelling.lower()), c.name)
    for c in ONTOLOGY.classes.values():
        names[c.name] = c.name
    return names


def relation_names() -> frozenset[str]:
    return frozenset(ONTOLOGY.relations)


def _tokens(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup
        if kind == "bad":
            raise FormulaError(f"unexpected character {m.group(kind)!r}", m.start(kind), text)
        tokens.append(_Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    # -- token helpers ------------------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def keyword(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() in words

    def punct(self, *symbols: str) -> bool:
        return self.tok.kind in ("punct", "arrow") and self.tok.text in symbols

    def advance(self) -> _Token:
        t = self.tok
        self.i += 1
        return t

    def expect(self, symbol: str) -> _Token:
        if not self.punct(symbol):
            self.fail(f"expected {symbol!r}")
        return self.advance()

    def fail(self, message: str):
        found = "end of formula" if self.tok.kind == "end" else repr(self.tok.text)
        raise FormulaError(f"{message}, found {found}", self.tok.position, self.text)

    # -- grammar --------------------------------------------------------------------------
    def formula(self) -> Formula:
        if self.keyword("exists", "forall"):
            return self.quantified()
        premise = self.disjunction()
        if self.punct("->"):
            self.advance()
            return Implies(premise, self.disjunction())
        return premise

    def quantified(self) -> Formula:
        word = self.advance().text.lower()
        if word == "exists" and self.tok.kind == "count":
            op = self.advance().text
            if self.tok.kind != "int":
                self.fail("expected a number after " + op)
            n = int(self.advance().text)
            variable = self.variable()
            self.expect(":")
            return Count(op, n, variable, self.formula())
        variables = [self.variable()]
        while self.punct(","):
            self.advance()
            variables.append(self.variable())
        self.expect(":")
        body = self.formula()
        return (Exists if word == "exists" else ForAll)(tuple(variables), body)

    def variable(self) -> str:
        t = self.tok
        if t.kind != "name" or t.text.lower() in _KEYWORDS or not _VARIABLE.match(t.text):
            self.fail("expected a variable (a lower-case name)")
        return self.advance().text

    def disjunction(self) -> Formula:
        parts = [self.conjunction()]
        while self.punct("|") or self.keyword("or"):
            self.advance()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self) -> Formula:
        parts = [self.unary()]
        while self.punct("&") or self.keyword("and"):
            self.advance()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Formula:
        if self.punct("~") or self.keyword("not"):
            self.advance()
            return Not(self.unary())
        if self.keyword("exists", "forall"):
            return self.quantified()
        if self.punct("("):
            self.advance()
            inner = self.formula()
            self.expect(")")
            return inner
        if self.tok.kind == "name" and self.tok.text.lower() not in _KEYWORDS:
            return self.atom()
        self.fail("expected a predicate, '(', 'not' or a quantifier")

    def atom(self) -> Atom:
        name = self.advance()
        if not self.punct("("):
            self.fail(f"expected '(' after predicate {name.text!r}")
        self.advance()
        args = [self.variable()]
        while self.punct(","):
            self.advance()
            args.append(self.variable())
        self.expect(")")
        return _resolve(name, tuple(args), self.text)


def _resolve(name: _Token, args: tuple[str, ...], text: str) -> Atom:
    spelling = name.text.lower()
    classes, relations = class_names(), relation_names()
    if spelling in classes:
        if len(args) != 1:
            raise FormulaError(f"class predicate {spelling} takes 1 argument, got {len(args)}", name.position, text)
        return Atom(classes[spelling], args, name.position)
    if spelling in relations:
        if len(args) != 2:
            raise FormulaError(f"relation {spelling} takes 2 arguments, got {len(args)}", name.position, text)
        return Atom(spelling, args, name.position)
    known = sorted(set(classes) | relations)
    close = difflib.get_close_matches(spelling, known, n=3, cutoff=0.6) or sorted(
        k for k in known if any(len(w) > 2 and w in k for w in spelling.split("_"))
    )[:3]
    hint = f"; did you mean {' or '.join(close)}?" if close else f"; known predicates: {', '.join(sorted(set(classes.values()) | relations))}"
    raise FormulaError(f"unknown predicate {name.text!r}{hint}", name.position, text)


def _check_scopes(f: Formula, text: str, bound: frozenset[str] = frozenset()) -> None:
    """A quantified variable must be new in its scope and used in its body."""
    match f:
        case Exists(variables=vs, body=body) | ForAll(variables=vs, body=body) | Count(variable=vs, body=body):
            vs = (vs,) if isinstance(vs, str) else vs
            used = set(free_variables(body))
            for v in vs:
                if v in bound:
                    raise FormulaError(f"variable {v} is quantified again inside its own scope", 0, text)
                if v not in used:
                    raise FormulaError(f"variable {v} is quantified but not used", 0, text)
            if len(set(vs)) != len(vs):
                raise FormulaError("a quantifier lists the same variable twice", 0, text)
            _check_scopes(body, text, bound | set(vs))
        case Not(body=body):
            _check_scopes(body, text, bound)
        case And(parts=parts) | Or(parts=parts):
            for p in parts:
                _check_scopes(p, text, bound)
        case Implies(premise=p, conclusion=c):
            _check_scopes(p, text, bound)
            _check_scopes(c, text, bound)


def parse(text: str) -> Formula:
    """Parse and validate one formula."""
    if not text or not text.strip():
        raise FormulaError("empty formula", 0, text or "")
    parser = _Parser(text)
    formula = parser.formula()
    if parser.tok.kind != "end":
        parser.fail("expected end of formula")
    _check_scopes(formula, text, frozenset(free_variables(formula)))
    return formula


def viable(text: str) -> str:
    """How far `text` is from a formula, for decoding constrained to the grammar: "complete"
    (it parses and validates), "prefix" (some continuation could make it one) or "dead"."""
    try:
        parse(text)
        return "complete"
    except FormulaError as err:
        unused = re.match(r"variable (\w+) is quantified but not used", err.message)
        if unused:  # fine if the variable's scope is still open: a conjunct appended may use it
            return "prefix" if viable(f"{text} & {next(iter(class_names()))}({unused.group(1)})") != "dead" else "dead"
        if err.position < len(text) or _rebinds(text):
            return "dead"
        atom = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)$", text)  # an atom still open
        if atom:
            spelling = atom.group(1).lower()
            arity = 1 if spelling in class_names() else 2 if spelling in relation_names() else 0
            if not arity or atom.group(2).count(",") >= arity:
                return "dead"  # an unknown predicate, or one argument too many
        name = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", text)
        if name and err.message.startswith("expected '(' after predicate"):
            spelling = name.group(1).lower()
            known = set(class_names()) | relation_names() | _KEYWORDS
            if text[-1].isspace():
                return "prefix" if spelling in known else "dead"
            return "prefix" if any(k.startswith(spelling) for k in known) else "dead"
        return "prefix"


_SCOPE_TOKEN = re.compile(r"\(|\)|\b(?:exists|forall)\b\s*(?:(?:>=|<=|=)\s*\d+\s*)?([a-z]\w*(?:\s*,\s*[a-z]\w*)*)\s*:",
                          re.IGNORECASE)


def _rebinds(text: str) -> bool:
    """Whether a quantifier in text binds a variable again inside that variable's open scope
    (a scope reaches right until a ')' closes a '(' opened before its quantifier)."""
    bound: list[tuple[int, str]] = []  # (bracket depth of the quantifier, variable)
    depth = 0
    for m in _SCOPE_TOKEN.finditer(text):
        if m.group(0) == "(":
            depth += 1
        elif m.group(0) == ")":
            depth -= 1
            bound = [(d, v) for d, v in bound if d <= depth]
        else:
            names = re.split(r"\s*,\s*", m.group(1))
            if {v for _, v in bound} & set(names):
                return True
            bound += [(depth, v) for v in names]
    return False
