"""The ontology loads in owlready2 and HermiT finds it consistent with the expected hierarchy."""

import shutil

import pyoxigraph as ox
import pytest

owlready2 = pytest.importorskip("owlready2")

from rune_kg.vocab import ONTOLOGY_FILE  # noqa: E402


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_hermit_consistency_and_hierarchy(tmp_path):
    ntriples = tmp_path / "rune.nt"
    with ONTOLOGY_FILE.open("rb") as f:
        ntriples.write_bytes(
            ox.serialize(ox.parse(f, ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
        )
    world = owlready2.World()
    onto = world.get_ontology(ntriples.as_uri()).load(format="ntriples")
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert not list(world.inconsistent_classes())
    rune = world.get_namespace("https://w3id.org/rune-kg/ontology#")
    assert rune.Vehicle in rune.SmallVehicle.ancestors()
    assert rune.SportsField in rune.TennisCourt.ancestors()
    assert rune.Entity in rune.Helicopter.ancestors()
    assert rune.Vehicle not in rune.Ship.ancestors()
