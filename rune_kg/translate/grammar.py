"""The formula language as a GBNF grammar (llama.cpp's grammar format), generated from the
ontology's class and relation names, for decoding that can only write formulas.

The grammar is the syntax of query/formula.lark in its canonical spelling (single spaces), with
the names spelled out so that no unknown predicate or wrong arity can be written. Variables come
from one pool per quantifier depth (free: a-h; then x-z and w, s-v, p-r), so a sample cannot
bind a variable again inside its own scope; nesting stops at depth 3.
"""

from __future__ import annotations

from functools import cache

from ..vocab import ONTOLOGY, predicates

POOLS = ("[a-h]", "[w-z]", "[s-v]", "[p-r]")  # variables bound at depth 0 (free), 1, 2, 3


def _alternatives(names) -> str:
    return " | ".join(f'"{name}"' for name in sorted(names, key=lambda n: (-len(n), n)))


@cache
def gbnf() -> str:
    """The grammar's text; its start rule is `root`.

    A quantifier's scope reaches as far right as possible, so a quantifier written without
    brackets can only come last (`t`, after any other operands); anywhere else it stands in
    brackets. So a sample means what the grammar built, and binds no variable twice."""
    rules = ["root ::= f0"]
    deepest = len(POOLS) - 1
    for depth in range(len(POOLS)):
        here = f"v{depth}" if depth == 0 else f"w{depth}"
        if depth < deepest:
            rules.append(
                f'f{depth} ::= i{depth} | i{depth} (" & " | " | ") t{depth} '
                f'| d{depth} " -> " t{depth} | t{depth}'
            )
        else:
            rules.append(f"f{depth} ::= i{depth}")
        rules += [
            f'i{depth} ::= d{depth} (" -> " d{depth})?',
            f'd{depth} ::= c{depth} (" | " c{depth})*',
            f'c{depth} ::= u{depth} (" & " u{depth})*',
            f'u{depth} ::= "~" u{depth} | a{depth} | "(" f{depth} ")"',
            f'a{depth} ::= cls "(" {here} ")" | rel "(" {here} ", " {here} ")"',
        ]
        if depth < deepest:
            bound, body = f"v{depth + 1}", f"f{depth + 1}"
            rules.append(
                f't{depth} ::= "~" t{depth} '
                f'| ("exists " | "forall ") {bound} (", " {bound})* ": " {body} '
                f'| "exists" cmp n " " {bound} ": " {body}'
            )
        if depth:
            rules.append(f"w{depth} ::= " + " | ".join(f"v{d}" for d in range(depth + 1)))
        rules.append(f"v{depth} ::= {POOLS[depth]}")
    rules += [
        f"cls ::= {_alternatives(ONTOLOGY.classes)}",
        f"rel ::= {_alternatives(predicates())}",
        'cmp ::= ">=" | "<=" | "="',
        "n ::= [0-9] [0-9]?",
    ]
    return "\n".join(rules) + "\n"
