"""Places in the answers: a gazetteer of the three RarePlanes airports (../shared/data/geo, named
by their `location` attribute, each the hull of its aircraft), held by a real Oxigraph server
and reached with SERVICE, or loaded into the same store; a picture placed at Montpellier
airport by a --georef table. The place is checked against shapely, in the pipeline, the search
API and the web page."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
import shapely
import shapely.geometry

from rune_kg.ask import ask
from rune_kg.cli import main
from rune_kg.kg import Store
from rune_kg.server import create_app

from .conftest import start_oxigraph, start_rune_serve

GEO_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
AIRPORTS = sorted(GEO_DATA.glob("1*_*.geojson"))
GEO = "http://www.opengis.net/ont/geosparql#"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

pytestmark = pytest.mark.skipif(len(AIRPORTS) != 3, reason=f"no RarePlanes layers in {GEO_DATA}")


def _gazetteer() -> tuple[list[ox.Triple], dict[str, shapely.Geometry]]:
    """Triples of one named feature per airport (its aircraft's hull, 200 m wider), and the
    hulls by name."""
    triples, hulls = [], {}
    for k, path in enumerate(AIRPORTS):
        features = json.loads(path.read_text())["features"]
        name = features[0]["properties"]["location"]
        hull = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
        hulls[name] = hull = hull.convex_hull.buffer(0.002)
        place, geometry = ox.NamedNode(f"urn:airport:{k}"), ox.NamedNode(f"urn:airport:{k}/area")
        wkt = ox.Literal(f"<{CRS84}> {hull.wkt}", datatype=ox.NamedNode(GEO + "wktLiteral"))
        triples += [
            ox.Triple(
                place, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal(name)
            ),
            ox.Triple(place, ox.NamedNode(GEO + "hasDefaultGeometry"), geometry),
            ox.Triple(geometry, ox.NamedNode(GEO + "asWKT"), wkt),
        ]
    return triples, hulls


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(store folder, gazetteer query URL, {name: hull}, the tile's footprint): a picture of
    500 m x 500 m placed over the middle of Montpellier airport, one plane in it; a picture of
    the same without a georeference."""
    from PIL import Image
    from rasterio.warp import transform

    folder = tmp_path_factory.mktemp("places")
    triples, hulls = _gazetteer()
    process, base = start_oxigraph(folder / "gazetteer")
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    request = urllib.request.Request(
        base + "/store?graph=urn:gazetteer",
        data=body,
        headers={"Content-Type": "application/n-triples"},
    )
    urllib.request.urlopen(request).read()
    montpellier = next(name for name in hulls if "Montpellier" in name)
    centre = hulls[montpellier].centroid
    (x,), (y,) = transform("OGC:CRS84", "EPSG:32631", [centre.x], [centre.y])
    images, labels = folder / "images", folder / "labelTxt"
    images.mkdir()
    labels.mkdir()
    for image in ("AIR1", "AIR2"):
        Image.new("RGB", (1000, 1000)).save(images / f"{image}.png")
        (labels / f"{image}.txt").write_text("400 400 600 400 600 500 400 500 plane 0\n")
    table = folder / "georef.csv"
    table.write_text(f"image,crs,x,y,gsd\nAIR1,EPSG:32631,{x - 250!r},{y + 250!r},0.5\n")
    store = folder / "db"
    args = ["ingest", str(labels), "--images", str(images), "--georef", str(table)]
    assert main([*args, "--store", str(store), "--quiet"]) == 0
    xs, ys = transform("EPSG:32631", "OGC:CRS84", [x - 250, x + 250], [y - 250, y + 250])
    footprint = shapely.box(min(xs), min(ys), max(xs), max(ys))
    yield store, base + "/query", hulls, footprint
    process.terminate()
    process.wait(timeout=10)


def _expected(hulls, footprint) -> list[str]:
    return sorted(name for name, hull in hulls.items() if hull.intersects(footprint))


def test_a_remote_gazetteer_names_the_place_of_each_georeferenced_result(world):
    store_dir, gazetteer, hulls, footprint = world
    expected = _expected(hulls, footprint)
    assert len(expected) == 1 and "Montpellier" in expected[0]
    found = ask(Store(store_dir), fol="plane(a)", mode="crisp", gazetteer=gazetteer).answer
    by_image = {r.image: r for r in found.results}
    assert [p.name for p in by_image["AIR1"].places] == expected
    assert by_image["AIR1"].places[0].iri.startswith("urn:airport:")
    assert by_image["AIR2"].place is None and by_image["AIR2"].places == []


def test_a_gazetteer_in_the_same_store(world, tmp_path):
    store_dir, _, hulls, footprint = world
    copy = tmp_path / "db"
    subprocess.run(["cp", "-r", str(store_dir), str(copy)], check=True)
    triples, _ = _gazetteer()
    store = Store(copy)
    store.put_graphs(
        [
            (
                ox.NamedNode("urn:gazetteer"),
                ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(),
            )
        ]
    )
    found = ask(store, fol="plane(a)", mode="crisp", gazetteer="store").answer
    air1 = next(r for r in found.results if r.image == "AIR1")
    assert [p.name for p in air1.places] == _expected(hulls, footprint)


def test_the_search_api_shows_the_place_and_the_config_is_checked(world):
    store_dir, gazetteer, hulls, footprint = world
    settings = {"STORE": str(store_dir), "QUERY_WORKERS": 1, "GAZETTEER": gazetteer}
    with pytest.raises(ValueError, match="SERVICE_ALLOW"):
        create_app(settings)
    app = create_app({**settings, "SERVICE_ALLOW": [gazetteer]})
    try:
        data = app.test_client().get("/api/search?fol=plane(a)&mode=crisp").get_json()
    finally:
        app.extensions["rune"].close()
    places = {r["image"]: [p["name"] for p in r["places"]] for r in data["results"]}
    assert places == {"AIR1": _expected(hulls, footprint), "AIR2": []}


def test_the_page_shows_the_place(world, tmp_path):
    from .test_page import CHROMIUM, FLAGS

    if CHROMIUM is None:
        pytest.skip("needs Chromium (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    store_dir, gazetteer, hulls, footprint = world
    config = tmp_path / "server.toml"
    config.write_text(f'GAZETTEER = "{gazetteer}"\nSERVICE_ALLOW = ["{gazetteer}"]\n')
    process, base = start_rune_serve(store_dir, "--config", str(config))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            page = browser.new_page()
            page.goto(base)
            page.check("input[name=kind][value=fol]")
            page.fill("#q", "plane(a)")
            page.press("#q", "Enter")
            page.wait_for_selector(".card .places:not([hidden])")
            assert page.text_content(".card .places") == "in " + _expected(hulls, footprint)[0]
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
