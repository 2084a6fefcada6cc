"""An update read before it runs: which graphs it may change, whether it uses the default graph,
and the protocol's dataset (using-graph-uri, using-named-graph-uri) written into it.

With the endpoint's default dataset (DEFAULT_GRAPH = "union"), a query's default graph is the
union of every graph. No update can write or match that union through the store's own unnamed
graph, so an update there must name its graphs (GRAPH, WITH, USING or the protocol's dataset):
one that would read or write the unnamed default graph is refused, rather than answered 204
while it matched nothing a query shows. With DEFAULT_GRAPH = "store", queries and updates both
see the store's own unnamed graph, as plain SPARQL does, and nothing is refused.

The reader follows the update grammar's operations; an update it cannot follow is left to the
engine, which reports its syntax error, and counts as one that may change any graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import BadRequest
from .tokens import Names, Token, tokenize

_MODIFY = ("WITH", "DELETE", "INSERT")
_GRAPH_MANAGEMENT = ("CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "LOAD")


@dataclass(frozen=True)
class PreparedUpdate:
    text: str  # what to run: the update, with the protocol's dataset as USING clauses
    graphs: frozenset[str] | None  # the named graphs it may change; None: any of them


class _Unfollowed(Exception):
    """The update is not one the reader follows (malformed, most likely)."""


def prepare_update(
    text: str, using: tuple[str, ...] = (), using_named: tuple[str, ...] = (), union: bool = True
) -> PreparedUpdate:
    """The update to run and the graphs it may change; BadRequest when it conflicts with the
    protocol's dataset or, under a union default graph, uses the unnamed default graph."""
    tokens = tokenize(text)
    protocol = bool(using or using_named)
    if protocol and any(t.word() in ("USING", "WITH") for t in tokens):
        raise BadRequest(
            "give the dataset once: using-graph-uri/using-named-graph-uri, or USING/WITH in "
            "the update, not both"
        )
    reader = _Reader(tokens, union, protocol)
    try:
        reader.read()
    except _Unfollowed:
        return PreparedUpdate(text, None)
    clauses = "".join(f"USING {_iri(g)} " for g in using)
    clauses += "".join(f"USING NAMED {_iri(g)} " for g in using_named)
    if protocol:
        text = _with_dataset(text, reader.wheres, clauses)
    return PreparedUpdate(text, reader.graphs)


def _iri(value: str) -> str:
    return str(ox.NamedNode(value))  # escaped by the RDF library; the caller checked it


def _with_dataset(text: str, wheres: list, clauses: str) -> str:
    """The update with `clauses` before each WHERE of its operations; a DELETE WHERE { P }
    becomes DELETE { P } USING ... WHERE { P }."""
    pieces, last = [], 0
    for start, pattern in wheres:
        pieces.append(text[last:start])
        if pattern is None:
            pieces.append(clauses)
            last = start
        else:
            quads = text[pattern[0] : pattern[1]]
            pieces.append(f"DELETE {quads} {clauses}WHERE {quads}")
            last = pattern[1]
    return "".join(pieces) + text[last:]


def _refuse(what: str) -> BadRequest:
    return BadRequest(
        f"this update {what}: the default graph that queries see is the union of all graphs, "
        "which an update cannot change as one graph; name the graph (GRAPH <g> { ... }, WITH "
        "<g>, USING <g>, or the protocol's using-graph-uri)"
    )


class _Reader:
    """Walks an update's operations, collecting the graphs they change (`graphs`, None: any) and
    where the protocol's dataset goes (`wheres`)."""

    def __init__(self, tokens: list[Token], union: bool, protocol: bool):
        self.tokens, self.union, self.protocol = tokens, union, protocol
        self.names = Names()
        self.i = 0
        self.graphs: frozenset[str] | None = frozenset()
        # (offset of a WHERE, None) or (offset of a DELETE WHERE, its pattern's span)
        self.wheres: list[tuple[int, tuple[int, int] | None]] = []
        self.match = _matching_brackets(tokens)

    # -- tokens --
    def word(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.tokens[j].word() if j < len(self.tokens) else ""

    def take(self) -> Token:
        if self.i >= len(self.tokens):
            raise _Unfollowed()
        self.names.feed(self.tokens, self.i)
        self.i += 1
        return self.tokens[self.i - 1]

    def expect_block(self) -> int:
        """Skip the bracket block at the cursor; its opening token's index."""
        if (
            self.i >= len(self.tokens)
            or self.tokens[self.i].text != "{"
            or self.i not in self.match
        ):
            raise _Unfollowed()
        start = self.i
        self.i = self.match[start] + 1
        return start

    def changes(self, term: Token | None) -> None:
        """Note a graph the update may change (a variable or unknown name: any graph)."""
        iri = self.names.iri(term) if term is not None else None
        if self.graphs is not None:
            self.graphs = self.graphs | {iri} if iri else None

    # -- operations --
    def read(self) -> None:
        while self.i < len(self.tokens):
            word = self.word()
            if word in ("PREFIX", "BASE"):
                self.take()
                self.take()
                if word == "PREFIX":
                    self.take()
            elif self.tokens[self.i].text == ";":
                self.take()
            elif word in _MODIFY:
                self.modify()
            elif word in _GRAPH_MANAGEMENT:
                self.management(word)
            else:
                raise _Unfollowed()

    def modify(self) -> None:
        first = self.tokens[self.i]
        with_graph = None
        if self.word() == "WITH":
            self.take()
            with_graph = self.take()
        if self.word() in ("INSERT", "DELETE") and self.word(1) == "DATA":
            self.take()
            self.take()
            self.quads(self.expect_block(), None, "writes")
            return
        if self.word() == "DELETE" and self.word(1) == "WHERE":
            self.take()
            self.take()
            block = self.expect_block()
            self.quads(block, None, "reads and writes")
            pattern = (self.tokens[block].start, self.tokens[self.match[block]].start + 1)
            self.wheres.append((first.start, pattern))
            return
        for keyword in ("DELETE", "INSERT"):
            if self.word() == keyword:
                self.take()
                self.quads(self.expect_block(), with_graph, "writes")
        usings = 0
        while self.word() == "USING":
            self.take()
            if self.word() == "NAMED":
                self.take()
            self.take()
            usings += 1
        if self.word() != "WHERE":
            raise _Unfollowed()
        self.wheres.append((self.tokens[self.i].start, None))
        self.take()
        block = self.expect_block()
        named = with_graph is not None or usings or self.protocol
        if self.union and not named and _reads_default(self.tokens, block, self.match):
            raise _refuse("matches its WHERE in the unnamed default graph")

    def quads(self, start: int, with_graph: Token | None, verb: str) -> None:
        """A block of triples and GRAPH blocks: note its graphs; its triples outside GRAPH go
        to the WITH graph, else to the unnamed default graph."""
        j, end = start + 1, self.match[start]
        while j < end:
            token = self.tokens[j]
            if token.word() == "GRAPH":
                self.changes(self.tokens[j + 1])
                j = self.match.get(j + 2, end - 1) + 1
            elif token.text == ".":
                j += 1
            elif with_graph is not None:
                self.changes(with_graph)
                return
            elif self.union:
                raise _refuse(f"{verb} triples in the unnamed default graph")
            else:
                return  # the unnamed default graph: no named graph changes

    def management(self, word: str) -> None:
        self.take()
        if self.word() == "SILENT":
            self.take()
        if word == "LOAD":
            self.take()  # the source
            if self.word() != "INTO":
                if self.union:
                    raise _refuse("loads into the unnamed default graph")
                return
            self.take()
            self.take()  # GRAPH
            self.changes(self.take())
            return
        refs = [self.graph_ref()]
        if word in ("ADD", "MOVE", "COPY"):
            if self.word() != "TO":
                raise _Unfollowed()
            self.take()
            refs.append(self.graph_ref())
        if self.union and "DEFAULT" in refs:  # read (the source) or written: both refused
            raise _refuse(f"{word}s the unnamed default graph")
        changed = refs[1:] if word in ("ADD", "COPY") else refs  # their source is only read
        for target in changed:
            if target in ("ALL", "NAMED"):
                self.graphs = None
            elif target != "DEFAULT":
                self.changes(target)

    def graph_ref(self) -> Token | str:
        """GRAPH <g>, <g>, DEFAULT, NAMED or ALL."""
        if self.word() in ("DEFAULT", "NAMED", "ALL"):
            return self.take().word()
        if self.word() == "GRAPH":
            self.take()
        return self.take()


def _matching_brackets(tokens: list[Token]) -> dict[int, int]:
    """Index of each opening bracket token -> index of its closing one."""
    match, stack = {}, []
    for j, token in enumerate(tokens):
        if token.kind != "other":
            continue
        if token.text in "{([":
            stack.append(j)
        elif token.text in "})]" and stack:
            match[stack.pop()] = j
    return match


def _reads_default(tokens: list[Token], start: int, match: dict[int, int]) -> bool:
    """Whether the group graph pattern opening at `start` has a triple pattern outside any
    GRAPH or SERVICE block (in nested groups, subqueries and EXISTS too)."""
    if start not in match:
        return False  # unbalanced: the engine will refuse it
    j, end = start + 1, match[start]
    subquery = j < end and tokens[j].word() == "SELECT"
    while j < end:
        token, word = tokens[j], tokens[j].word()
        if word in ("GRAPH", "SERVICE", "VALUES"):  # a named graph, a remote one, inline data
            j = match.get(_next(tokens, j, end, "{"), end) + 1
        elif word in ("FILTER", "BIND") or (subquery and token.text == "("):
            k = _next(tokens, j, end, "({")
            if _bracket_reads_default(tokens, k, match):
                return True
            j = match.get(k, end) + 1
        elif token.text == "{":
            if _reads_default(tokens, j, match):
                return True
            j = match.get(j, end) + 1
        elif subquery or word in ("OPTIONAL", "MINUS", "UNION", "LATERAL") or token.text == ".":
            j += 1
        else:
            return True  # a term, a collection or a blank node: a triple pattern
    return False


def _next(tokens: list[Token], j: int, end: int, openings: str) -> int:
    """The index of the first bracket in `openings` from j on (end if none)."""
    while j < end and not (tokens[j].kind == "other" and tokens[j].text in openings):
        j += 1
    return j


def _bracket_reads_default(tokens: list[Token], k: int, match: dict[int, int]) -> bool:
    """A group (EXISTS { ... }) or an expression in brackets that may hold one."""
    if k >= len(tokens) or k not in match:
        return False
    if tokens[k].text == "{":
        return _reads_default(tokens, k, match)
    return any(
        tokens[j].text == "{" and _reads_default(tokens, j, match) for j in range(k, match[k])
    )
