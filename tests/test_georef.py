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

from rune_kg.errors import LabelFormatError
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


def _tile_with_a_box(tmp_path, image_id: str):
    """The GeoTIFF as the picture of `image_id`, whose label is one box drawn in pixels around
    the first building footprint of the tile's layer (class: any DOTA class will do for a
    geometry check): (labels folder, images folder, the footprint in the tile's CRS)."""
    import rasterio

    images, labels = tmp_path / "images", tmp_path / "labelTxt"
    images.mkdir()
    labels.mkdir()
    shutil.copy(TILE, images / f"{image_id}.tif")
    with rasterio.open(TILE) as tile:
        inverse = ~tile.transform
    footprint = json.loads(BUILDINGS.read_text())["features"][0]["geometry"]
    pixels = [inverse @ (x, y) for x, y in footprint["coordinates"][0]]
    xs, ys = [p[0] for p in pixels], [p[1] for p in pixels]
    box = [(min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys))]
    line = " ".join(f"{x!r} {y!r}" for x, y in box) + " small-vehicle 0\n"
    (labels / f"{image_id}.txt").write_text(line)
    return labels, images, footprint


def test_a_geotiff_gives_the_image_a_footprint_and_each_entity_a_crs84_box(tmp_path):
    import rasterio
    from rasterio.warp import transform_bounds, transform_geom

    labels, images, footprint = _tile_with_a_box(tmp_path, "SN0")
    with rasterio.open(TILE) as tile:
        crs = tile.crs
        bounds = transform_bounds(crs, "OGC:CRS84", *tile.bounds)
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
    # its size in metres: the box drawn around the footprint in UTM metres
    size = next(
        iter(
            store.query(
                f"SELECT ?m ?a {{ {entity} rune:lengthMetres ?m ; rune:areaSquareMetres ?a }}"
            )
        )
    )
    minx, miny, maxx, maxy = shapely.geometry.shape(footprint).bounds
    assert float(size["m"].value) == pytest.approx(max(maxx - minx, maxy - miny), rel=1e-9)
    assert float(size["a"].value) == pytest.approx((maxx - minx) * (maxy - miny), rel=1e-9)
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
    (tmp_path / "SN1.prj").unlink()  # no CRS: refused by name, not placed half-way
    with pytest.raises(LabelFormatError, match="SN1.png: a geotransform without a CRS"):
        picture_of(tmp_path / "SN1.png")
    (tmp_path / "SN1.pgw").unlink()  # no georeference at all: a plain picture
    assert picture_of(tmp_path / "SN1.png").georeference is None


def test_a_georef_table_places_images_as_their_geotiff_would(tmp_path, capsys):
    """`rune ingest --georef table.csv`: a PNG without a georeference, placed by a row giving
    the tile's corner, CRS and pixel size, gets the GeoTIFF's footprint; a bad table stops the
    ingest before anything is written, naming the file and line."""
    import rasterio
    from PIL import Image

    from rune_kg.cli import main

    with rasterio.open(TILE) as tile:
        t, crs, size = tile.transform, tile.crs, (tile.width, tile.height)
        bounds = rasterio.warp.transform_bounds(crs, "OGC:CRS84", *tile.bounds)
    images, labels = tmp_path / "images", tmp_path / "labelTxt"
    images.mkdir()
    labels.mkdir()
    Image.new("L", size).save(images / "SN2.png")
    (labels / "SN2.txt").write_text("10 10 30 10 30 20 10 20 small-vehicle 0\n")
    table = tmp_path / "georef.csv"
    table.write_text(f"image,crs,x,y,gsd\nSN2,{crs.to_string()},{t.c!r},{t.f!r},{t.a!r}\n")
    store = str(tmp_path / "db")
    args = ["ingest", str(labels), "--images", str(images), "--store", store, "--quiet"]
    assert main([*args, "--georef", str(table)]) == 0
    image = "<https://w3id.org/rune-kg/data/image/SN2>"
    found = Store(store).query(f"SELECT ?w WHERE {{ {image} geo:hasDefaultGeometry/geo:asWKT ?w }}")
    assert np.allclose(_polygon(next(iter(found))["w"].value).bounds, bounds, atol=1e-9)
    capsys.readouterr()
    table.write_text("image,crs,x,y,gsd\nSN2,EPSG:999999,0,0,1\n")
    fresh = str(tmp_path / "db2")
    assert main([*args[:-3], "--store", fresh, "--quiet", "--georef", str(table)]) != 0
    err = capsys.readouterr().err
    assert f"--georef {table}, line 2 (SN2): unknown CRS 'EPSG:999999'" in err
    assert not Path(fresh).exists() or len(Store(fresh)) == 0


def test_a_layer_laid_onto_a_georeferenced_image_is_related_in_formulas(tmp_path):
    """`--overlay geotiff_labels.geojson=building`: SpaceNet's EPSG:32616 building footprints
    become polygon entities of the tile they come with, so that a formula relates them to the
    image's own entities: the box drawn around building 0 contains it."""
    from rune_kg.cli import main
    from rune_kg.query.engine import answer

    labels, images, _ = _tile_with_a_box(tmp_path, "SN3")
    store = tmp_path / "db"
    overlay = f"{BUILDINGS}=building"
    args = ["ingest", str(labels), "--images", str(images), "--overlay", overlay, "--quiet"]
    assert main([*args, "--store", str(store)]) == 0
    found = answer("small_vehicle(a) & building(b) & contains(a, b)", Store(store), mode="crisp")
    assert [r.image for r in found.results] == ["SN3"]
    b = next(w for w in found.results[0].witness if w.variable == "b")
    assert b.entity.endswith("/SN3/1")  # building 0 of the layer, entity 1 of the image
    assert Store(store).query(
        f"ASK {{ <{b.entity}> prov:wasDerivedFrom "
        "<https://w3id.org/rune-kg/data/feature/geotiff_labels/0> ; rune:isPolygon true }"
    )
    count = answer("exists>=43 b: building(b)", Store(store), mode="crisp")
    assert count.matched == 1  # every footprint lies on the tile
