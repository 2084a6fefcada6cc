import re
from pathlib import Path

import pytest

from rune_kg.kg.geometry import PairRelations, Thresholds
from rune_kg.vocab import ONTOLOGY, RELATIONS, RUNE, descendants, materialised, predicates

SPEC_CLASSES = """plane ship storage_tank baseball_diamond tennis_court basketball_court
ground_track_field harbor bridge large_vehicle small_vehicle helicopter roundabout soccer_ball_field
swimming_pool container_crane airport helipad""".split()
SPEC_RELATIONS = """left_of right_of above below near far_from overlaps inside contains larger_than
parallel same_class""".split()


DISASTER_CLASSES = """building undamaged_building minor_damage_building major_damage_building
destroyed_building damaged_building flooded_building non_flooded_building road flooded_road
non_flooded_road water tree grass""".split()


def test_classes_and_relations_match_the_query_language():
    dota = {c.name for c in ONTOLOGY.classes.values() if c.dota_name}
    assert dota == set(SPEC_CLASSES)
    assert set(ONTOLOGY.classes) - dota == {
        "vehicle",
        "aircraft",
        "court",
        "sports_field",
        *DISASTER_CLASSES,
    }
    assert set(predicates()) == set(SPEC_RELATIONS)


def test_the_disaster_classes_of_the_spec():
    """QUERY_LANGUAGE.md, Polygons, disasters and floods."""
    assert descendants("damaged_building") == {
        "damaged_building",
        "minor_damage_building",
        "major_damage_building",
        "destroyed_building",
    }
    assert descendants("building") == {
        "building",
        "undamaged_building",
        *descendants("damaged_building"),
        "flooded_building",
        "non_flooded_building",
    }
    assert descendants("road") == {"road", "flooded_road", "non_flooded_road"}
    assert {
        ONTOLOGY.annotation(ONTOLOGY.classes[c].iri, "xbdDamage") for c in DISASTER_CLASSES
    } >= {
        "no-damage",
        "minor-damage",
        "major-damage",
        "destroyed",
    }


def test_superclasses_of_the_spec():
    assert descendants("vehicle") == {"vehicle", "small_vehicle", "large_vehicle"}
    assert descendants("aircraft") == {"aircraft", "plane", "helicopter"}
    assert descendants("court") == {"court", "tennis_court", "basketball_court"}
    assert descendants("sports_field") == {
        "sports_field",
        "court",
        "tennis_court",
        "basketball_court",
        "baseball_diamond",
        "ground_track_field",
        "soccer_ball_field",
    }


def test_synonyms_are_labels_of_the_ontology():
    assert "car" in ONTOLOGY.classes["small_vehicle"].synonyms
    assert "airplane" in ONTOLOGY.classes["plane"].synonyms


def test_python_names_cannot_drift_from_the_ontology():
    assert RUNE.Image.value.endswith("#Image")
    with pytest.raises(AttributeError):
        _ = RUNE.NotInTheOntology


def test_every_rune_term_in_the_code_is_declared():
    """Every rune:Name written in the package's SPARQL or Python is declared in rune.ttl."""
    package = Path(__file__).resolve().parents[1] / "rune_kg"
    used = set()
    for path in package.rglob("*.py"):
        text = path.read_text()
        used |= set(re.findall(r"rune:([A-Za-z]+)", text)) | set(
            re.findall(r"RUNE\.([A-Za-z]+)", text)
        )
    assert used - ONTOLOGY.terms == set()


def test_relation_catalogue_is_read_from_the_ontology():
    """What the index, the rewriter and the translator read about relations comes from rune.ttl."""
    assert {n for n, r in predicates().items() if r.symmetric} == {
        "near",
        "far_from",
        "overlaps",
        "parallel",
        "same_class",
    }
    assert {n for n, r in predicates().items() if r.stored} == {
        "near",
        "overlaps",
        "inside",
        "contains",
    }
    assert RELATIONS["contains"].stored_as == (RELATIONS["inside"], True)
    assert RELATIONS["left_of"].inverse == "right_of" and RELATIONS["below"].inverse == "above"
    assert RELATIONS["near"].iri == RUNE.near and RELATIONS["near"].thresholds == ("near_factor",)
    assert all(r.arity == 2 for r in RELATIONS.values())
    # every stored relation is a field that ingest computes, every threshold a configurable number
    assert {r.name for r in materialised()} == set(PairRelations.__dataclass_fields__)
    assert {t for r in RELATIONS.values() for t in r.thresholds} == set(
        Thresholds.__dataclass_fields__
    )
