"""SPARQL text as tokens, for the checks made before a request runs: strings and comments are
skipped, every token keeps its offset, PREFIX and BASE declarations are followed so that an IRI
written as a prefixed or relative name can be read in full."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

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


@dataclass(frozen=True)
class Token:
    kind: str  # "iri", "var", "name" (keyword or prefixed name), "string" or "other"
    text: str
    start: int  # offset in the request's text

    def word(self) -> str:
        """The keyword this token spells, upper-cased ("" when it is not a name)."""
        return self.text.upper() if self.kind == "name" else ""


def tokenize(text: str) -> list[Token]:
    """The request's tokens, comments left out (strings kept: a literal is a term)."""
    return [
        Token(m.lastgroup, m.group(), m.start())
        for m in _TOKEN.finditer(text)
        if m.lastgroup != "comment"
    ]


class Names:
    """Reads IRIs as the request declares them: `<...>` against the BASE, `p:x` by its PREFIX
    (rune-kg's own prefixes predeclared). `feed` each token in order first."""

    def __init__(self, base: str | None = None):
        self.base = base or ""
        self.prefixes = dict(PREFIXES)

    def feed(self, tokens: list[Token], i: int) -> None:
        word, following = tokens[i].word(), tokens[i + 1 : i + 3]
        if word == "BASE" and following and following[0].kind == "iri":
            self.base = urljoin(self.base, following[0].text[1:-1])
        elif word == "PREFIX" and len(following) == 2 and following[1].kind == "iri":
            self.prefixes[following[0].text.rstrip(":")] = urljoin(
                self.base, following[1].text[1:-1]
            )

    def iri(self, token: Token) -> str | None:
        """The absolute IRI a token names; None for a variable, a blank node or an unknown
        prefix."""
        if token.kind == "iri":
            return urljoin(self.base, token.text[1:-1]) or None
        if token.kind == "name" and ":" in token.text:
            prefix, local = token.text.split(":", 1)
            if prefix in self.prefixes:
                return self.prefixes[prefix] + local
        return None
