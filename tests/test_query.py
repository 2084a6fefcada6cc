"""The SPARQL engine against the direct model checker (rune_kg.query.scan) on real DOTA images."""

import pytest

from rune_kg.dota import read_label_file
from rune_kg.query.engine import answer
from rune_kg.query.parse import FormulaError, parse
from rune_kg.query.scan import World, satisfies

from .conftest import LABELS

FORMULAS = [
    "ship(a)",
    "car(a) & truck(b)",
    "ship(a) & harbor(b) & near(a, b)",
    "ship(a) & harbor(b) & left_of(a, b)",
    "ship(a) AND NOT exists b: (ship(b) AND near(a, b))",
    "exists>=4 x: car(x)",
    "exists=2 x: tennis_court(x)",
    "exists<=0 x: plane(x)",
    "tennis_court(t) & exists>=2 x: (car(x) & near(x, t))",
    "forall x: (vehicle(x) -> exists y: (vehicle(y) & near(x, y)))",
    "plane(p) & plane(q) & parallel(p, q) & larger_than(p, q)",
    "ground_track_field(a) & soccer_ball_field(b) & far_from(a, b)",
    "tennis_court(a) & court(b) & same_class(a, b) & above(a, b)",
    "swimming_pool(p) | ground_track_field(p)",
    "ship(a) & overlaps(a, b)",
    "large_vehicle(a) & inside(a, b)",
    "soccer_ball_field(s) & contains(s, x)",
    "soccer_ball_field(s) & (ground_track_field(g) | baseball_diamond(g)) & right_of(g, s)",
    "tennis_court(t) & forall s: (swimming_pool(s) -> ~near(s, t))",
]

IDS = sorted(p.stem for p in LABELS.glob("*.txt"))


@pytest.fixture(scope="module")
def worlds():
    return {i: World(read_label_file(LABELS / f"{i}.txt")) for i in IDS}


@pytest.mark.parametrize("text", FORMULAS)
def test_crisp_answers_equal_the_model_checker(store, worlds, text):
    formula = parse(text)
    expected = [i for i in IDS if satisfies(worlds[i], formula) is not None]
    crisp = answer(formula, store, mode="crisp", limit=0)
    assert [r.image for r in crisp.results] == expected
    scored = answer(formula, store, mode="scored", limit=0)
    assert sorted(r.image for r in scored.results) == expected  # all confidences are 1


def test_witnesses_satisfy_the_formula(store, worlds):
    text = "ship(a) & harbor(b) & near(a, b)"
    for result in answer(text, store, mode="crisp", limit=5).results:
        env = {w.variable: int(w.entity.rsplit("/", 1)[1]) for w in result.witness}
        world = worlds[result.image]
        assert world.classes[env["a"]] == "ship" and world.classes[env["b"]] == "harbor"
        assert world.relation("near")[env["a"], env["b"]]
        assert result.facts[0].predicate == "near"


@pytest.mark.parametrize("text, message", [
    ("ship(a) & harbr(b)", "did you mean harbor"),
    ("ship(a, b)", "takes 1 argument"),
    ("near(a)", "takes 2 arguments"),
    ("ship(a) &", "expected a predicate"),
    ("exists x: ship(y)", "quantified but not used"),
    ("", "empty formula"),
])
def test_malformed_formulas(text, message):
    with pytest.raises(FormulaError, match=message):
        parse(text)
