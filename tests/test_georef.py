"""Georeference at ingest, on a real GeoTIFF (SpaceNet, Atlanta, EPSG:32616, 0.5 m;
../shared/data/geo): the image's footprint and its entities' boxes in CRS84, checked against
rasterio's own reprojection of the tile and of the building footprints that come with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
import shapely.geometry

from rune_kg.ingest import ingest
from rune_kg.kg import Store

GEO_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
TILE = GEO_DATA / "sample_geotiff.tif"
BUILDINGS = GEO_DATA / "geotiff_labels.geojson"
WORLD = """SELECT ?w WHERE { ?s geo:hasDefaultGeometry/geo:asWKT ?w }"""

pytestmark = pytest.mark.skipif(not TILE.is_file(), reason=f"no GeoTIFF at {TILE}")


def _polygon(wkt: str):
    assert wkt.startswith("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> ")
    return shapely.from_wkt(wkt.split("> ", 1)[1])


def test_a_geotiff_gives_the_image_a_footprint_and_each_entity_a_crs84_box(tmp_path):
    import rasterio
    from rasterio.warp import transform_bounds, transform_geom

    images, labels = tmp_path / "images", tmp_path / "labelTxt"
    images.mkdir()
    labels.mkdir()
    shutil.copy(TILE, images / "SN0.tif")
    with rasterio.open(TILE) as tile:
        inverse = ~tile.transform
        crs = tile.crs
        bounds = transform_bounds(crs, "OGC:CRS84", *tile.bounds)
    # One box around the first building footprint, in pixels (class: any DOTA class will do
    # for a geometry check).
    footprint = json.loads(BUILDINGS.read_text())["features"][0]["geometry"]
    pixels = [inverse @ (x, y) for x, y in footprint["coordinates"][0]]
    xs, ys = [p[0] for p in pixels], [p[1] for p in pixels]
    box = [(min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys))]
    (labels / "SN0.txt").write_text(" ".join(f"{x!r} {y!r}" for x, y in box) + " small-vehicle 0\n")
    store = Store(tmp_path / "db")
    report = ingest([labels], store, images_dir=images, progress=False, workers=1)
    assert report.images == 1 and not report.failures
    image = "<https://w3id.org/rune-kg/data/image/SN0>"
    gsd = next(iter(store.query(f"SELECT ?g WHERE {{ {image} rune:gsd ?g }}")))["g"]
    assert float(gsd.value) == 0.5
    tile_wkt = next(
        iter(store.query(f"SELECT ?w WHERE {{ {image} geo:hasDefaultGeometry/geo:asWKT ?w }}"))
    )
    assert np.allclose(_polygon(tile_wkt["w"].value).bounds, bounds, atol=1e-9)
    entity = "<https://w3id.org/rune-kg/data/entity/dota/SN0/0>"
    box_wkt = next(
        iter(store.query(f"SELECT ?w WHERE {{ {entity} geo:hasDefaultGeometry/geo:asWKT ?w }}"))
    )
    building = shapely.geometry.shape(transform_geom(crs, "OGC:CRS84", footprint))
    world_box = _polygon(box_wkt["w"].value)
    assert world_box.contains(building.centroid)
    assert world_box.envelope.buffer(1e-9).contains(building.envelope)
    # an answer carries the image's place on Earth
    from rune_kg.query.engine import answer

    found = answer("small_vehicle(a)", store, mode="crisp")
    assert _polygon(found.results[0].place).equals(_polygon(tile_wkt["w"].value))
    # a 16-bit GeoTIFF Pillow cannot decode is still drawn (through rasterio)
    from rune_kg.query.explain import entities_of, picture_file, render

    drawn = render(picture_file(store, "SN0"), others=entities_of(store, "SN0"))
    assert drawn.mode == "RGB" and drawn.size == (900, 900) and drawn.getextrema()[0] == (0, 255)
    # the pixel geometry stays what the query language reads
    assert store.query(
        f"ASK {{ {entity} geo:hasGeometry/geo:asWKT ?w "
        "FILTER(CONTAINS(STR(?w), 'ImagePixelCRS')) }"
    )


def test_a_picture_with_a_world_file_and_a_prj_is_placed_as_the_geotiff(tmp_path):
    """A PNG with the tile's world file (.pgw) and CRS (.prj) gets the GeoTIFF's footprint."""
    import rasterio
    from PIL import Image

    from rune_kg.ingest.writer import picture_of

    with rasterio.open(TILE) as tile:
        t, crs = tile.transform, tile.crs
    Image.new("L", (tile.width, tile.height)).save(tmp_path / "SN1.png")
    # a world file names the centre of the top-left pixel
    lines = [t.a, t.d, t.b, t.e, t.c + t.a / 2 + t.b / 2, t.f + t.d / 2 + t.e / 2]
    (tmp_path / "SN1.pgw").write_text("\n".join(map(repr, lines)) + "\n")
    (tmp_path / "SN1.prj").write_text(crs.to_wkt())
    from_world_file = picture_of(tmp_path / "SN1.png").georeference
    from_tiff = picture_of(TILE).georeference
    assert from_world_file is not None and from_world_file.crs == from_tiff.crs
    assert np.allclose(from_world_file.transform, from_tiff.transform)
    (tmp_path / "SN1.prj").unlink()  # no CRS: no georeference
    assert picture_of(tmp_path / "SN1.png").georeference is None
