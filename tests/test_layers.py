"""Vector layers as linked data: real GeoJSON layers (RarePlanes aircraft in CRS84, SpaceNet
building footprints in EPSG:32616; ../shared/data/geo) through `rune load` and GeoSPARQL."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import shapely

from rune_kg.cli import main
from rune_kg.kg import Store

GEO_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
PLANES = GEO_DATA / "10_104005000FDC8300.geojson"  # 37 aircraft at Montpellier airport
BUILDINGS = GEO_DATA / "geotiff_labels.geojson"  # 43 footprints, EPSG:32616
NEAREST = """SELECT ?a ?b ?d WHERE {
  ?a a rune:Plane ; geo:hasCentroid/geo:asWKT ?wa . ?b a rune:Plane ; geo:hasCentroid/geo:asWKT ?wb
  FILTER(STR(?a) < STR(?b))
  BIND(geof:distance(?wa, ?wb, <http://www.opengis.net/def/uom/OGC/1.0/metre>) AS ?d)
} ORDER BY ?d LIMIT 1"""

pytestmark = pytest.mark.skipif(not GEO_DATA.is_dir(), reason=f"no data at {GEO_DATA}")


def _haversine(a, b) -> float:
    (lon1, lat1), (lon2, lat2) = (map(math.radians, p) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_a_geojson_layer_becomes_features_with_their_attributes(tmp_path, capsys):
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
    nearest = next(iter(store.query(NEAREST)))
    features = json.loads(PLANES.read_text())["features"]
    centroid = {
        k: shapely.geometry.shape(f["geometry"]).centroid.coords[0] for k, f in enumerate(features)
    }
    a, b = (int(nearest[v].value.rsplit("/", 1)[1]) for v in ("a", "b"))
    expected = min(
        _haversine(centroid[i], centroid[j]) for i in centroid for j in centroid if i < j
    )
    assert float(nearest["d"].value) == pytest.approx(expected, rel=0.01)  # metres, geodesic
    assert _haversine(centroid[a], centroid[b]) == pytest.approx(expected, rel=0.01)


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
