"""The formula language as a GBNF grammar (llama.cpp's grammar format), generated from the
ontology's class and relation names, for decoding that can only write formulas.

The grammar is the syntax of query/formula.lark in its canonical spelling (single spaces), with
the names spelled out so that no unknown predicate or wrong arity can be written. Free variables
are a-h; a quantifier binds one variable, named by its depth (x, then y, then z: "exists x, y:"
is written "exists x: exists y:"), and nesting stops at depth 3. So a sample cannot bind a
variable twice or use a bound name free; the one rule it can still break is to quantify a
variable and not use it (the parser then drops that sample).
"""

from __future__ import annotations

from functools import cache

from ..vocab import ONTOLOGY, predicates

FREE = "[a-h]"
BOUND = ("x", "y", "z")  # the variable a quantifier at depth 1, 2, 3 binds


def _alternatives(names) -> str:
    return " | ".join(f'"{name}"' for name in sorted(names, key=lambda n: (-len(n), n)))


@cache
def gbnf() -> str:
    """The grammar's text; its start rule is `root`.

    A quantifier's scope reaches as far right as possible, so a quantifier written without
    brackets can only come last (`t`, after any other operands); anywhere else it stands in
    brackets. So a sample means what the grammar built, and binds no variable twice."""
    rules = ["root ::= f0", f"v0 ::= {FREE}"]
    deepest = len(BOUND)
    for depth in range(deepest + 1):
        if depth < deepest:
            rules.append(
                f'f{depth} ::= i{depth} | i{depth} (" & " | " | ") t{depth} '
                f'| d{depth} " -> " t{depth} | t{depth}'
            )
            bound, body = f'"{BOUND[depth]}"', f"f{depth + 1}"
            rules.append(
                f't{depth} ::= "~" t{depth} | ("exists " | "forall ") {bound} ": " {body} '
                f'| "exists" cmp n " " {bound} ": " {body}'
            )
        else:
            rules.append(f"f{depth} ::= i{depth}")
        variables = " | ".join(["v0", *(f'"{v}"' for v in BOUND[:depth])])
        rules += [
            f'i{depth} ::= d{depth} (" -> " d{depth})?',
            f'd{depth} ::= c{depth} (" | " c{depth})*',
            f'c{depth} ::= u{depth} (" & " u{depth})*',
            f'u{depth} ::= "~" u{depth} | a{depth} | "(" f{depth} ")"',
            f'a{depth} ::= cls "(" w{depth} ")" | rel "(" w{depth} ", " w{depth} ")"',
            f"w{depth} ::= {variables}",
        ]
    rules += [
        f"cls ::= {_alternatives(ONTOLOGY.classes)}",
        f"rel ::= {_alternatives(predicates())}",
        'cmp ::= ">=" | "<=" | "="',
        "n ::= [0-9] [0-9]?",
    ]
    return "\n".join(rules) + "\n"
