"""Parse stage: text -> Formula, validated against the ontology.

The syntax is formula.lark (lark's LALR parser); names are then checked against the ontology:
class predicates may be written with the ontology's labels and synonyms (car -> small_vehicle),
relations take two arguments, a quantified variable is new in its scope and used in its body.
Every error names its position and, for unknown names, the closest known ones.

`viable` answers the constrained decoder's question, "can this prefix still become a
formula?", with lark's interactive parser and the same name checks, token by token.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import FormulaError
from ..vocab import ONTOLOGY, predicates
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
    free_variables,
    variables,
)
from .lark_import import (
    Lark,
    Token,
    Transformer,
    Tree,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
    v_args,
)

_GRAMMAR = Path(__file__).with_name("formula.lark")
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")
KEYWORDS = ("exists", "forall", "and", "or", "not")

# Limits on one formula (docs/query-language.md): far beyond any question's, well short of what
# would hold a server for minutes or exhaust the parser's stack.
MAX_CHARACTERS = 5000
MAX_DEPTH = 40  # nesting of operators: negations, quantifiers, implications, and/or
MAX_ATOMS = 64
MAX_VARIABLES = 16
MAX_COUNT = 1000  # N of exists>=N, exists<=N, exists=N


@cache
def _parser() -> Lark:
    # cache: the LALR tables are saved in the temporary folder, keyed by the grammar's hash,
    # so that a new process loads them instead of computing them again (about 70 ms)
    return Lark(_GRAMMAR.read_text(), parser="lalr", lexer="basic", cache=True)


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
    return frozenset(predicates())


def _arity(spelling: str) -> int | None:
    """1 for a class predicate, 2 for a relation, None for an unknown name."""
    return 1 if spelling in class_names() else 2 if spelling in relation_names() else None


# -- errors ---------------------------------------------------------------------------------
_DESCRIPTIONS = {
    "RPAR": "')'",
    "COLON": "':'",
    "COMMA": "','",
    "LPAR": "'('",
    "ARROW": "'->'",
    "_AND": "'&'",
    "_OR": "'|'",
    "INT": "a number",
    "NAME": "a name",
    "COMPARISON": "'>=', '<=' or '='",
}


def _expected(expected: set[str], previous: Token | None) -> str:
    """What the parser wanted, in words."""
    if {"NAME", "LPAR"} <= expected:
        return "expected a predicate, '(', 'not' or a quantifier"
    if expected == {"NAME"}:
        return "expected a variable (a lower-case name)"
    if expected == {"NAME", "COMPARISON"}:
        return "expected a variable (a lower-case name) or a count (>=, <= or = N)"
    if expected == {"LPAR"}:
        return (
            f"expected '(' after predicate {previous.value!r}"
            if previous is not None
            else "expected '('"
        )
    if expected == {"INT"}:
        return (
            f"expected a number after {previous.value}"
            if previous is not None
            else "expected a number"
        )
    if "$END" in expected:
        return "expected end of formula"
    for terminal in ("RPAR", "COLON"):
        if terminal in expected:
            return f"expected {_DESCRIPTIONS[terminal]}"
    return "expected " + " or ".join(sorted(_DESCRIPTIONS.get(t, t) for t in expected))


def _syntax_error(err: UnexpectedInput, text: str) -> FormulaError:
    if isinstance(err, UnexpectedCharacters):
        return FormulaError(
            f"unexpected character {text[err.pos_in_stream]!r}", err.pos_in_stream, text
        )
    assert isinstance(err, UnexpectedToken)
    token = err.token
    at_end = token.type == "$END"
    found = "end of formula" if at_end else repr(token.value)
    position = len(text) if at_end else token.start_pos
    stack = getattr(err.state, "value_stack", None) or [None]
    previous = stack[-1] if isinstance(stack[-1], Token) else None
    return FormulaError(f"{_expected(set(err.expected), previous)}, found {found}", position, text)


# -- tree -> Formula ------------------------------------------------------------------------
def _variable(token: Token, text: str) -> str:
    if not _VARIABLE.match(token.value):
        raise FormulaError(
            f"expected a variable (a lower-case name), found {token.value!r}", token.start_pos, text
        )
    return token.value


def _resolve(name: Token, args: tuple[str, ...], text: str) -> Atom:
    spelling = name.value.lower()
    arity = _arity(spelling)
    if arity is not None and len(args) != arity:
        kind = "class predicate" if arity == 1 else "relation"
        noun = "argument" if arity == 1 else "arguments"
        raise FormulaError(
            f"{kind} {spelling} takes {arity} {noun}, got {len(args)}", name.start_pos, text
        )
    if arity == 1:
        return Atom(class_names()[spelling], args, name.start_pos)
    if arity == 2:
        return Atom(spelling, args, name.start_pos)
    raise FormulaError(f"unknown predicate {name.value!r}{_hint(spelling)}", name.start_pos, text)


def _hint(spelling: str) -> str:
    classes, relations = class_names(), relation_names()
    known = sorted(set(classes) | relations)
    close = (
        difflib.get_close_matches(spelling, known, n=3, cutoff=0.6)
        or sorted(k for k in known if any(len(w) > 2 and w in k for w in spelling.split("_")))[:3]
    )
    if close:
        return f"; did you mean {' or '.join(close)}?"
    return f"; known predicates: {', '.join(sorted(set(classes.values()) | relations))}"


@v_args(inline=True)
class _Build(Transformer):
    """The parse tree -> Formula, checking names and variables on the way."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def atom(self, name: Token, *args: Token) -> Atom:
        return _resolve(name, tuple(_variable(a, self.text) for a in args), self.text)

    def variables(self, *names: Token) -> tuple[str, ...]:
        return tuple(_variable(n, self.text) for n in names)

    def exists(self, _keyword, variables, body) -> Formula:
        return Exists(variables, body)

    def forall(self, _keyword, variables, body) -> Formula:
        return ForAll(variables, body)

    def count(self, _keyword, op: Token, n: Token, variable: Token, body) -> Formula:
        if len(n.value) > 4 or int(n.value) > MAX_COUNT:
            raise FormulaError(
                f"a count of {n.value} is too large; the limit is {MAX_COUNT}",
                n.start_pos,
                self.text,
            )
        return Count(op.value, int(n.value), _variable(variable, self.text), body)

    def not_(self, body) -> Formula:
        return Not(body)

    def and_(self, *parts) -> Formula:
        return And(parts)

    def or_(self, *parts) -> Formula:
        return Or(parts)

    def implies(self, premise, _arrow, conclusion) -> Formula:
        return Implies(premise, conclusion)


def _check_scopes(f: Formula, text: str, bound: frozenset[str] = frozenset()) -> None:
    """A quantified variable must be new in its scope and used in its body."""
    match f:
        case (
            Exists(variables=vs, body=body)
            | ForAll(variables=vs, body=body)
            | Count(variable=vs, body=body)
        ):
            vs = (vs,) if isinstance(vs, str) else vs
            used = set(free_variables(body))
            for v in vs:
                if v in bound:
                    raise FormulaError(
                        f"variable {v} is quantified again inside its own scope", 0, text
                    )
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


def _check_size(tree: Tree, text: str) -> None:
    """The limits on depth and atoms, checked without recursion (the tree may be deep)."""
    deepest, atoms, stack = 0, 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest, atoms = max(deepest, depth), atoms + (node.data == "atom")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    if deepest > MAX_DEPTH:
        raise FormulaError(f"the formula nests {deepest} deep; the limit is {MAX_DEPTH}", 0, text)
    if atoms > MAX_ATOMS:
        raise FormulaError(f"the formula has {atoms} atoms; the limit is {MAX_ATOMS}", 0, text)


def parse(text: str) -> Formula:
    """Parse and validate one formula, within the limits above."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is text, not {type(text).__name__}", 0, str(text)[:80])
    if not text or not text.strip():
        raise FormulaError("empty formula", 0, text or "")
    if len(text) > MAX_CHARACTERS:
        raise FormulaError(
            f"a formula of {len(text):,} characters is too long; the limit is {MAX_CHARACTERS:,}",
            0,
            text[:80] + "...",
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, text) from None
    _check_size(tree, text)
    try:
        formula = _Build(text).transform(tree)
    except VisitError as err:  # lark wraps what a callback raises
        raise err.orig_exc from None
    _check_scopes(formula, text, frozenset(free_variables(formula)))
    count = len(variables(formula))
    if count > MAX_VARIABLES:
        raise FormulaError(
            f"the formula has {count} variables; the limit is {MAX_VARIABLES}", 0, text
        )
    return formula


# -- prefixes, for constrained decoding -----------------------------------------------------
@dataclass
class _Scope:
    depth: int  # brackets open when the quantifier came
    variables: tuple[str, ...]
    used: set[str] = field(default_factory=set)


@dataclass
class _Names:
    """The name checks of `parse`, applied token by token to a prefix the parser accepts."""

    depth: int = 0
    scopes: list[_Scope] = field(default_factory=list)
    quantifier: list[str] | None = None  # the variables of a quantifier whose ':' is still to come
    atom: tuple[int, int] | None = None  # (arity, arguments so far) inside an atom's brackets
    free: set[str] = field(default_factory=set)  # variables used outside any quantifier's scope
    quantified: set[str] = field(default_factory=set)  # variables some quantifier has bound
    previous: Token | None = None

    def feed(self, token: Token) -> bool:
        """False when the token makes the prefix impossible to complete."""
        ok = self._feed(token)
        self.previous = token
        return ok

    def _feed(self, token: Token) -> bool:
        kind = token.type
        if kind in ("EXISTS", "FORALL"):
            self.quantifier = []
        elif kind == "NAME" and self.quantifier is not None:
            if not _VARIABLE.match(token.value) or token.value in self.quantifier:
                return False
            self.quantifier.append(token.value)
        elif kind == "COLON" and self.quantifier is not None:
            if ({v for s in self.scopes for v in s.variables} | self.free) & set(self.quantifier):
                return False  # bound again inside its own scope, or free elsewhere
            self.scopes.append(_Scope(self.depth, tuple(self.quantifier)))
            self.quantified.update(self.quantifier)
            self.quantifier = None
        elif kind == "LPAR" and self.previous is not None and self.previous.type == "NAME":
            arity = _arity(self.previous.value.lower())
            if arity is None:
                return False
            self.atom = (arity, 0)
        elif kind == "NAME" and self.atom is not None:
            arity, count = self.atom
            if count == arity or not _VARIABLE.match(token.value):
                return False
            self.atom = (arity, count + 1)
            binders = [s for s in self.scopes if token.value in s.variables]
            for scope in binders:
                scope.used.add(token.value)
            if not binders:
                if token.value in self.quantified:
                    return False  # free here, quantified elsewhere
                self.free.add(token.value)
        elif kind == "NAME":  # outside an atom and a quantifier: a predicate's name
            return _arity(token.value.lower()) is not None
        elif kind == "COMMA" and self.atom is not None:
            arity, count = self.atom
            return count < arity
        elif kind == "RPAR" and self.atom is not None:
            arity, count = self.atom
            self.atom = None
            return count == arity
        elif kind == "LPAR":
            self.depth += 1
        elif kind == "RPAR":
            self.depth -= 1
            closed = [s for s in self.scopes if s.depth > self.depth]
            self.scopes = [s for s in self.scopes if s.depth <= self.depth]
            return all(set(s.variables) <= s.used for s in closed)
        return True


_SYMBOLS = {"->": "ARROW", ">=": "COMPARISON", "<=": "COMPARISON"}


def viable(text: str) -> str:
    """How far `text` is from a formula, for decoding constrained to the grammar: "complete"
    (it parses and validates), "prefix" (some continuation could make it one) or "dead"."""
    tokens: list[Token] = []
    rest = ""  # a symbol cut short at the end ("-" of "->")
    try:
        for token in _parser().lex(text):
            tokens.append(token)
    except UnexpectedCharacters as err:
        rest = text[err.pos_in_stream :]
        if not any(symbol.startswith(rest) and symbol != rest for symbol in _SYMBOLS):
            return "dead"
    partial = None  # a name or keyword that the next characters may still extend
    if (
        tokens
        and not rest
        and not text[-1].isspace()
        and tokens[-1].type in ("NAME", "EXISTS", "FORALL")
    ):
        partial = tokens.pop()
    state, names = _parser().parse_interactive(""), _Names()
    try:
        for token in tokens:
            state.feed_token(token)
            if not names.feed(token):
                return "dead"
    except UnexpectedInput:
        return "dead"
    accepts = state.accepts()
    if "$END" in accepts and not rest:  # it may be whole as it stands
        try:
            parse(text)
            return "complete"
        except FormulaError:
            pass
    if rest:
        return (
            "prefix"
            if any(_SYMBOLS[s] in accepts for s in _SYMBOLS if s.startswith(rest))
            else "dead"
        )
    if partial is None:
        return "prefix"
    return "prefix" if _may_extend(partial.value, accepts, names) else "dead"


def _may_extend(start: str, accepts: set[str], names: _Names) -> bool:
    """Whether a name cut short at the end of the text can still become what comes here."""
    keywords = {"EXISTS": "exists", "FORALL": "forall", "_AND": "and", "_OR": "or", "_NOT": "not"}
    if any(keywords[t].startswith(start.lower()) for t in accepts if t in keywords):
        return True
    if "NAME" not in accepts:
        return False
    if "LPAR" in accepts:  # the start of an atom: a predicate's name
        return any(k.startswith(start.lower()) for k in (*class_names(), *relation_names()))
    return bool(_VARIABLE.match(start)) and (names.atom is None or names.atom[1] < names.atom[0])
