"""Vector layers as linked data: real GeoJSON layers (RarePlanes aircraft in CRS84, SpaceNet
building footprints in EPSG:32616; ../shared/data/geo) through `rune load` and GeoSPARQL."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import shapely

from rune_kg.cli import main
from rune_kg.kg import Store

GEO_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
PLANES = GEO_DATA / "10_104005000FDC8300.geojson"  # 37 aircraft at Montpellier airport
BUILDINGS = GEO_DATA / "geotiff_labels.geojson"  # 43 footprints, EPSG:32616

pytestmark = pytest.mark.skipif(not GEO_DATA.is_dir(), reason=f"no data at {GEO_DATA}")


# Oxigraph's geof:distance is the great-circle distance on a sphere of the mean Earth radius
# (within 0.3% of WGS84's geodesic): pyproj's geodesic on that sphere is the reference.
SPHERE = {"a": 6_371_008.8, "b": 6_371_008.8}
WITHIN_100_M = """SELECT ?a ?b ?d WHERE {
  ?a a rune:Plane ; geo:hasCentroid/geo:asWKT ?wa . ?b a rune:Plane ; geo:hasCentroid/geo:asWKT ?wb
  FILTER(STR(?a) < STR(?b))
  BIND(geof:distance(?wa, ?wb, uom:metre) AS ?d) FILTER(?d <= 100) }"""


def test_a_geojson_layer_becomes_features_with_their_attributes(tmp_path, capsys):
    """Aircraft within 100 m of each other by geof:distance are those pyproj finds."""
    import pyproj
    import shapely.geometry

    store_dir = tmp_path / "db"
    assert main(["load", str(PLANES), "--class", "plane", "--store", str(store_dir)]) == 0
    store = Store(store_dir)
    rows = list(
        store.query(
            "SELECT ?f ?make WHERE { ?f a rune:Plane , geo:Feature ; "
            "<https://w3id.org/rune-kg/data/property/make> ?make }"
        )
    )
    assert len(rows) == 37
    features = json.loads(PLANES.read_text())["features"]
    centroid = [shapely.geometry.shape(f["geometry"]).centroid for f in features]
    geod = pyproj.Geod(**SPHERE)

    def metres(i: int, j: int) -> float:
        return geod.inv(centroid[i].x, centroid[i].y, centroid[j].x, centroid[j].y)[2]

    expected = {
        (i, j): metres(i, j)
        for i in range(len(centroid))
        for j in range(len(centroid))
        if str(i) < str(j) and metres(i, j) <= 100  # the query's order: IRIs as text
    }
    found = {
        tuple(int(row[v].value.rsplit("/", 1)[1]) for v in ("a", "b")): float(row["d"].value)
        for row in store.query(WITHIN_100_M)
    }
    assert found.keys() == expected.keys() and len(found) > 5
    for pair, d in found.items():
        assert d == pytest.approx(expected[pair], rel=1e-9)


def test_a_layer_in_another_crs_is_reprojected_and_keeps_its_own_geometry(tmp_path, capsys):
    """The EPSG:32616 footprints are reprojected to CRS84 (their geometry as written kept
    beside), land inside the GeoTIFF tile they come with, and relate after materialise."""
    import rasterio
    from rasterio.warp import transform_bounds

    store_dir = tmp_path / "db"
    for layer in (PLANES, BUILDINGS):
        assert main(["load", str(layer), "--store", str(store_dir)]) == 0
    assert main(["geo", "materialise", "--store", str(store_dir)]) == 0
    assert "geo:sfDisjoint" in capsys.readouterr().out
    store = Store(store_dir)
    crs = {
        r["w"].value.split(">")[0]
        for r in store.query("SELECT ?w WHERE { ?f geo:hasGeometry/geo:asWKT ?w }")
    }
    assert crs == {
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "<http://www.opengis.net/def/crs/EPSG/0/32616",
    }
    with rasterio.open(GEO_DATA / "sample_geotiff.tif") as tile:
        box = shapely.box(*transform_bounds(tile.crs, "OGC:CRS84", *tile.bounds))
    footprints = [
        shapely.from_wkt(r["w"].value.split("> ", 1)[1])
        for r in store.query(
            "SELECT ?w WHERE { ?f a geo:Feature ; geo:hasDefaultGeometry/geo:asWKT ?w "
            'FILTER(CONTAINS(STR(?f), "geotiff_labels")) }'
        )
    ]
    assert len(footprints) == 43 and all(box.contains(f) for f in footprints)
    buildings = "https://w3id.org/rune-kg/data/feature/geotiff_labels/"
    assert store.query(f"ASK {{ <{buildings}0> geo:sfDisjoint <{buildings}1> }}")


def test_bad_layers_are_refused_with_the_reason(tmp_path, capsys):
    store = str(tmp_path / "db")
    assert main(["load", str(PLANES), "--class", "zeppelin", "--store", store]) == 2
    assert "not a class" in capsys.readouterr().err
    assert main(["geo", "materialise", "--store", store]) == 2  # no store: none made
    assert "no store at" in capsys.readouterr().err and not Path(store).exists()
    other = tmp_path / "point.geojson"
    other.write_text('{"type": "Feature", "geometry": null}')
    assert main(["load", str(other), "--store", store]) == 2
    assert "FeatureCollection" in capsys.readouterr().err
    outside = tmp_path / "projected.geojson"  # metres that do not say they are
    outside.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Point", "coordinates": [742000.0, 3735000.0]}}]}'
    )
    assert main(["load", str(outside), "--store", store]) == 2
    assert "feature 0: coordinates out of longitude/latitude range" in capsys.readouterr().err


def _graph_of(store_dir: Path, stem: str) -> dict:
    """feature number -> (CRS84 geometry, {attribute: value}) of a loaded layer."""
    store = Store(store_dir)
    found: dict = {}
    for row in store.query(
        "SELECT ?f ?p ?o WHERE { ?f a geo:Feature ; ?p ?o }",
    ):
        if f"/feature/{stem}/" not in row["f"].value:
            continue
        k = int(row["f"].value.rsplit("/", 1)[1])
        geometry, values = found.setdefault(k, [None, {}])
        if row["p"].value.endswith("hasDefaultGeometry"):
            wkt = next(iter(store.query(f"SELECT ?w {{ {row['o']} geo:asWKT ?w }}")))["w"]
            found[k][0] = shapely.from_wkt(wkt.value.split("> ", 1)[1])
        elif "/property/" in row["p"].value:
            values[row["p"].value.rsplit("/", 1)[1]] = row["o"].value
    return found


@pytest.mark.parametrize("driver,suffix", [("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_geopackage_and_shapefile_layers_load_as_their_geojson(tmp_path, driver, suffix):
    """The RarePlanes layer written by GDAL (pyogrio) as a GeoPackage or a Shapefile loads to
    the same features, geometries and attributes as the GeoJSON it came from; the EPSG:32616
    building footprints keep their own CRS through a GeoPackage."""
    import pyogrio.raw

    for layer in (PLANES, BUILDINGS):
        meta, _, geometry, fields = pyogrio.raw.read(layer)
        with warnings.catch_warnings():  # a Shapefile's field names cut to 10 characters
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.raw.write(
                tmp_path / f"{layer.stem}{suffix}",
                geometry,
                fields,
                fields=meta["fields"],
                crs=meta["crs"],
                geometry_type=meta["geometry_type"],
                driver=driver,
            )
    for layer in (PLANES, BUILDINGS):
        assert main(["load", str(layer), "--store", str(tmp_path / "json")]) == 0
        written = str(tmp_path / f"{layer.stem}{suffix}")
        assert main(["load", written, "--store", str(tmp_path / "ogr")]) == 0
        expected, got = (
            _graph_of(tmp_path / "json", layer.stem),
            _graph_of(tmp_path / "ogr", layer.stem),
        )
        assert len(got) == len(expected) > 0
        for k, (geometry, values) in expected.items():
            assert got[k][0].normalize().equals_exact(geometry.normalize(), 1e-9)  # ring order
            if driver == "GPKG":  # a Shapefile cuts field names to 10 characters
                assert got[k][1] == values
    crs = {
        r["w"].value.split(">")[0]
        for r in Store(tmp_path / "ogr").query(
            "SELECT ?w WHERE { ?f geo:hasGeometry/geo:asWKT ?w }"
        )
    }
    assert "<http://www.opengis.net/def/crs/EPSG/0/32616" in crs
