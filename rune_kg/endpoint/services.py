"""SERVICE clauses name endpoints the server would call: each must be on the allow-list.

The query is tokenised (strings and comments skipped, PREFIX and BASE declarations followed) so
that a SERVICE keyword is found wherever the grammar allows it; a variable endpoint
(SERVICE ?e) cannot be checked and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

from ..errors import Forbidden
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


def service_endpoints(query: str) -> list[str | None]:
    """The endpoint IRI of every SERVICE clause (None for a variable endpoint)."""
    prefixes = dict(PREFIXES)
    base = None
    tokens = _tokens(query)
    found: list[str | None] = []
    for i, (kind, text) in enumerate(tokens):
        word = text.upper() if kind == "name" else ""
        following = tokens[i + 1 : i + 4]
        if word == "BASE" and following and following[0][0] == "iri":
            base = urljoin(base or "", following[0][1][1:-1])
        elif word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = urljoin(base or "", following[1][1][1:-1])
        elif word == "SERVICE":
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


def check_services(query: str, allowed: Iterable[str]) -> None:
    """Raise Forbidden unless every SERVICE endpoint in the query is in `allowed`."""
    allowed = set(allowed)
    for endpoint in service_endpoints(query):
        if endpoint is None:
            raise Forbidden("SERVICE with a variable endpoint is refused: name the endpoint")
        if endpoint not in allowed:
            raise Forbidden(
                f"SERVICE <{endpoint}> is not on this server's allow-list "
                f"({', '.join(sorted(allowed)) or 'empty'}; config SERVICE_ALLOW)"
            )
