"""The user's documentation stays true to the code it describes."""

from pathlib import Path

from rune_kg.query.parse import parse
from rune_kg.vocab.relations import markdown_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_query_language_lists_the_relation_catalogue():
    text = (DOCS / "query-language.md").read_text()
    start = text.index("<!-- relations: generated from the ontology -->\n")
    table = text[start : text.index("<!-- end of relations -->")].split("\n", 1)[1]
    assert table == markdown_table(), (
        "docs/query-language.md: paste rune_kg.vocab.relations.markdown_table()"
    )


def test_formulas_in_the_query_language_parse():
    text = (DOCS / "query-language.md").read_text()
    examples = [
        "ship(a) & harbor(b) & left_of(a, b)",
        "car(a) & car(b) & car(c) & car(d) & below(b, a) & below(c, b) & below(d, c)",
        "ship(a) & ~exists b: (ship(b) & near(a, b))",
        "exists<=0 x: plane(x)",
        "(exists>=1 s: ship(s)) & forall t: (ship(t) -> exists h: (harbor(h) & near(t, h)))",
    ]
    flat = " ".join(text.split())
    for example in examples:
        assert f"`{example}`" in flat.replace("( ", "("), example
        parse(example)
