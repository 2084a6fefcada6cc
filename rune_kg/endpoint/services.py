"""What a request would make the server fetch, and how deep it nests, checked before it runs.

SERVICE clauses and LOAD operations name IRIs the server would call: each must be on the
allow-list, and `file:` IRIs never are. The keyword is found wherever the grammar allows it
(tokens.py); a variable endpoint (SERVICE ?e) cannot be checked and is refused. Brackets nested
deeper than MAX_NESTING are refused before any parser sees them (a deep enough nesting overflows
the engine's parser, and an update is parsed in the server's own process).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BadRequest, Forbidden
from .tokens import Names, Token, tokenize

MAX_NESTING = 200  # brackets { ( [ open at once
_REMOTE = ("SERVICE", "LOAD")


def _remote_iris(tokens: list[Token]) -> list[str | None]:
    """The IRI of every SERVICE clause and LOAD operation (None for a variable endpoint)."""
    names = Names()
    found: list[str | None] = []
    for i, token in enumerate(tokens):
        names.feed(tokens, i)
        if token.word() in _REMOTE:
            following = tokens[i + 1 : i + 3]
            if following and following[0].word() == "SILENT":
                following = following[1:]
            if following:
                target = following[0]
                named = target.kind == "iri" or (target.kind == "name" and ":" in target.text)
                found.append((names.iri(target) or target.text) if named else None)
    return found


def declares_dataset(query: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return any(token.word() == "FROM" for token in tokenize(query))


def _check_nesting(tokens: list[Token]) -> None:
    """Raise BadRequest when brackets outside strings, IRIs and comments nest too deep."""
    depth = 0
    for token in tokens:
        if token.kind == "other" and token.text in "{([":
            depth += 1
            if depth > MAX_NESTING:
                raise BadRequest(f"the request nests brackets deeper than {MAX_NESTING}")
        elif token.kind == "other" and token.text in "})]":
            depth -= 1


def check_request(text: str, allowed: Iterable[str]) -> None:
    """Check a query or update before it runs: BadRequest when it nests too deep, Forbidden
    unless every SERVICE endpoint and LOAD source is in `allowed` and none is a file."""
    tokens = tokenize(text)
    _check_nesting(tokens)
    allowed = set(allowed)
    for endpoint in _remote_iris(tokens):
        if endpoint is None:
            raise Forbidden("SERVICE with a variable endpoint is refused: name the endpoint")
        if endpoint.lower().startswith("file:"):
            raise Forbidden(f"<{endpoint}>: this server reads no files for a request")
        if endpoint not in allowed:
            raise Forbidden(
                f"<{endpoint}> is not on this server's allow-list for SERVICE and LOAD "
                f"({', '.join(sorted(allowed)) or 'empty'}; config SERVICE_ALLOW)"
            )
