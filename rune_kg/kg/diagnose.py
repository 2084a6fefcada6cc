"""SPARQL syntax errors said so that a person can act on them: an update sent as a query (and
the reverse), an empty query, an unknown first word, an undeclared prefix; any other parser
message is kept, cut to 240 characters."""

from __future__ import annotations

import re

from ..vocab import PREFIXES

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = (
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
)
_COMMENT = re.compile(r"#[^\n]*")
_DECLARATION = re.compile(r"\s*(?:PREFIX\s+([\w.-]*):\s*<[^>]*>|BASE\s*<[^>]*>)", re.I)
_PREFIXED = re.compile(r"(?<![\w?$])([A-Za-z][\w.-]*)?:(?=[A-Za-z_0-9])")
_IRI_OR_STRING = re.compile(r"<[^>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_LONGEST = 240  # characters of the parser's own message that are kept


def _uncommented(text: str) -> str:
    # "#" inside an IRI or a string is no comment; those are rare in a query's first word
    return _COMMENT.sub(" ", text)


def first_word(text: str) -> str:
    """The query's first keyword after its PREFIX and BASE declarations, upper case."""
    rest, declared = _uncommented(text), True
    while declared:
        found = _DECLARATION.match(rest)
        declared = found is not None
        rest = rest[found.end() :] if found else rest
    word = re.match(r"\s*(\w*)", rest)
    return word.group(1).upper() if word else ""


def diagnose(text: str, error: SyntaxError | str, *, update: bool) -> str:
    """What went wrong with `text` (a query, or an update when `update`), and the fix."""
    if not _uncommented(text).strip():
        return "empty query: e.g. SELECT * WHERE { ?s ?p ?o } LIMIT 10"
    word = first_word(text)
    if not update and word in UPDATE_FORMS:
        return f"this is an update ({word} ...), not a query: run it as an update (--update)"
    if update and word in QUERY_FORMS:
        return f"this is a {word} query, not an update: run it as a query (without --update)"
    forms = UPDATE_FORMS if update else QUERY_FORMS
    if word not in forms:
        return (
            f"{'an update' if update else 'a query'} starts with {', '.join(forms)} "
            f"(after any PREFIX and BASE lines), not {word or text.strip()[:20]!r}"
        )
    declared = {m.group(1) for m in _DECLARATION.finditer(_uncommented(text)) if m.group(1)}
    unknown = sorted(
        {m.group(1) or "" for m in _PREFIXED.finditer(_IRI_OR_STRING.sub(" ", text))}
        - declared
        - set(PREFIXES)
    )
    if unknown:
        return (
            f"unknown prefix {', '.join(f'{p}:' for p in unknown)} (declare it, as in PREFIX "
            f"{unknown[0]}: <...>, or use one known here: "
            f"{', '.join(f'{p}:' for p in sorted(PREFIXES))})"
        )
    message = str(error)
    if len(message) > _LONGEST:
        message = message[:_LONGEST].rsplit(",", 1)[0] + ", ..."
    return f"SPARQL syntax error: {message}"
