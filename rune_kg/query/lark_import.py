"""lark, imported without the `regex` module.

lark imports `regex` whenever it is installed (transformers installs it), only to size Unicode
category patterns, which formula.lark does not use; that import is 15 ms of every `rune query`.
It is hidden while lark imports, so lark falls back to `re`; importing `regex` later (a
tokenizer) works as usual.
"""

import sys

_hidden = "regex" not in sys.modules
if _hidden:
    sys.modules["regex"] = None  # type: ignore[assignment]  # makes `import regex` fail
try:
    from lark import Lark, Token, Transformer, Tree, v_args
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
finally:
    if _hidden:
        del sys.modules["regex"]

__all__ = [
    "Lark",
    "Token",
    "Transformer",
    "Tree",
    "UnexpectedCharacters",
    "UnexpectedInput",
    "UnexpectedToken",
    "VisitError",
    "v_args",
]
