"""What a request would make the server fetch, and how deep it nests, checked before it runs.

SERVICE clauses and LOAD operations name IRIs the server would call: each must be on the
allow-list, and `file:` IRIs never are. The text is tokenised (strings and comments skipped,
PREFIX and BASE declarations followed) so that the keyword is found wherever the grammar allows
it; a variable endpoint (SERVICE ?e) cannot be checked and is refused. Brackets nested deeper
than MAX_NESTING are refused before any parser sees them (a deep enough nesting overflows the
engine's parser, and an update is parsed in the server's own process).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

from ..errors import BadRequest, Forbidden
from ..vocab import PREFIXES

_TOKEN = re.compile(
    r"""
    (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7-\uffff]+)
  | (?P<name>[A-Za-z_\u00c0-\uffff][\w.\-\u00b7-\uffff]*
             (?::(?:[\w.\-:%\u00b7-\uffff]|\\.)*)?
           |:(?:[\w.\-:%\u00b7-\uffff]|\\.)*)
  | (?P<other>\S)
""",
    re.VERBOSE,
)


def _tokens(query: str) -> list[tuple[str, str]]:
    return [
        (m.lastgroup, m.group())
        for m in _TOKEN.finditer(query)
        if m.lastgroup not in ("string", "comment")
    ]


MAX_NESTING = 200  # brackets { ( [ open at once
_REMOTE = ("SERVICE", "LOAD")


def _remote_iris(tokens: list[tuple[str, str]]) -> list[str | None]:
    """The IRI of every SERVICE clause and LOAD operation (None for a variable endpoint)."""
    prefixes = dict(PREFIXES)
    base = None
    found: list[str | None] = []
    for i, (kind, text) in enumerate(tokens):
        word = text.upper() if kind == "name" else ""
        following = tokens[i + 1 : i + 4]
        if word == "BASE" and following and following[0][0] == "iri":
            base = urljoin(base or "", following[0][1][1:-1])
        elif word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = urljoin(base or "", following[1][1][1:-1])
        elif word in _REMOTE:
            if following and following[0][0] == "name" and following[0][1].upper() == "SILENT":
                following = following[1:]
            if not following:
                continue
            target_kind, target = following[0]
            if target_kind == "iri":
                found.append(urljoin(base or "", target[1:-1]))
            elif target_kind == "name" and ":" in target:
                prefix, local = target.split(":", 1)
                found.append(prefixes[prefix] + local if prefix in prefixes else target)
            else:
                found.append(None)
    return found


def declares_dataset(query: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return any(kind == "name" and text.upper() == "FROM" for kind, text in _tokens(query))


def _check_nesting(tokens: list[tuple[str, str]]) -> None:
    """Raise BadRequest when brackets outside strings, IRIs and comments nest too deep."""
    depth = 0
    for kind, token in tokens:
        if kind == "other" and token in "{([":
            depth += 1
            if depth > MAX_NESTING:
                raise BadRequest(f"the request nests brackets deeper than {MAX_NESTING}")
        elif kind == "other" and token in "})]":
            depth -= 1


def check_request(text: str, allowed: Iterable[str]) -> None:
    """Check a query or update before it runs: BadRequest when it nests too deep, Forbidden
    unless every SERVICE endpoint and LOAD source is in `allowed` and none is a file."""
    tokens = _tokens(text)
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
