"""The GBNF grammar the LLM translators decode with (rune_kg.translate.grammar) writes only
formulas: random derivations of it, read by a small GBNF interpreter here, all parse, and the
only rule of the language they can break is to quantify a variable they do not use."""

from __future__ import annotations

import random
import re

from rune_kg.errors import FormulaError
from rune_kg.query.parse import parse
from rune_kg.translate.grammar import gbnf

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\[[^\]]*\])|([a-z][a-z0-9]*)|([()|*+?]))')


def _rules() -> dict[str, list]:
    """Rule name -> alternatives, each a list of items: ("lit", text), ("cls", class),
    ("ref", name), ("group", alternatives, repeat) with repeat one of "", "?", "*", "+"."""
    rules = {}
    for line in gbnf().splitlines():
        name, body = line.split(" ::= ")
        tokens = [next(g for g in m.groups() if g is not None) for m in _TOKEN.finditer(body)]
        kinds = [m.lastindex for m in _TOKEN.finditer(body)]
        alternatives, _ = _alternatives(list(zip(tokens, kinds)), 0)
        rules[name] = alternatives
    return rules


def _alternatives(tokens, i):
    alternatives, items = [], []
    while i < len(tokens):
        text, kind = tokens[i]
        if kind == 4 and text == "|":
            alternatives.append(items)
            items = []
        elif kind == 4 and text == ")":
            break
        elif kind == 4 and text == "(":
            inner, i = _alternatives(tokens, i + 1)
            items.append(["group", inner, ""])
        elif kind == 4:  # ?, *, + after the item before
            items[-1] = ["group", [[items[-1]]], text] if items[-1][0] != "group" else items[-1]
            items[-1][2] = text
        else:
            items.append(["lit" if kind == 1 else "cls" if kind == 2 else "ref", text])
        i += 1
    alternatives.append(items)
    return alternatives, i


def _costs(rules) -> dict[str, int]:
    """Per rule, the depth of its shallowest derivation (for ending derivations that grow deep)."""
    cost = dict.fromkeys(rules, 10**6)

    def items_cost(items) -> int:
        worst = 0
        for item in items:
            if item[0] == "ref":
                worst = max(worst, cost[item[1]])
            elif item[0] == "group" and item[2] in ("", "+"):
                worst = max(worst, min(items_cost(alt) for alt in item[1]))
        return worst

    for _ in range(len(rules)):
        for name, alternatives in rules.items():
            cost[name] = min(cost[name], 1 + min(items_cost(alt) for alt in alternatives))
    cost["_items"] = items_cost  # kept for choosing alternatives
    return cost


def _derive(rules, items, rng, depth, costs=None) -> str:
    costs = costs or _costs(rules)
    out = []
    for item in items:
        if item[0] == "lit":
            out.append(item[1])
        elif item[0] == "cls":
            low, high = item[1][1], item[1][3]
            out.append(chr(rng.randint(ord(low), ord(high))))
        elif item[0] == "ref":
            choices = rules[item[1]]
            # deep down, take the shortest alternative so that derivations end
            chosen = min(choices, key=costs["_items"]) if depth > 12 else rng.choice(choices)
            out.append(_derive(rules, chosen, rng, depth + 1, costs))
        else:
            _, alternatives, repeat = item
            times = {"": 1, "?": rng.randint(0, 1), "*": rng.randint(0, 2), "+": rng.randint(1, 2)}
            for _ in range(times[repeat] if depth <= 12 else int(repeat in ("", "+"))):
                chosen = (
                    min(alternatives, key=costs["_items"])
                    if depth > 12
                    else rng.choice(alternatives)
                )
                out.append(_derive(rules, chosen, rng, depth + 1, costs))
    return "".join(out)


def test_every_derivation_is_a_formula():
    rules, rng = _rules(), random.Random(7)
    costs = _costs(rules)
    samples = [_derive(rules, rules["root"][0], rng, 0, costs) for _ in range(2000)]
    assert len(set(samples)) > 1000 and any("exists>=" in s for s in samples)
    whole = 0
    for text in samples:
        try:
            parse(text)
            whole += 1
        except FormulaError as err:
            # the one rule a context-free grammar cannot keep, and the size limits it does not
            # bound (a random derivation may run long)
            assert "quantified but not used" in err.message or "the limit is" in err.message, text
    assert whole > 100
