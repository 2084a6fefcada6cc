"""After the flood: xBD label files, damage masks, iSAID instance masks and the Florence table of
boxes (../shared/data/xbd, ../shared/data/isaid), read into polygon entities and queried.

Cross-checks on the real files: the polygons traced from xBD's damage mask against the label's
own (IoU per building, median >= 0.9), and iSAID's instances of P0003-P0005 against the DOTA
v1.0 boxes of the same images (same class and IoU >= 0.5 for >= 85% of them)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import shapely

from rune_kg.cli import main
from rune_kg.ingest.classmaps import load_class_map
from rune_kg.ingest.dota import read_label_file
from rune_kg.ingest.masks import MaskOptions, read_class_mask, read_instance_mask
from rune_kg.ingest.xbd import read_xbd_label
from rune_kg.kg import Store
from rune_kg.query.engine import answer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
XBD, ISAID = DATA / "xbd", DATA / "isaid"
TILE = "joplin-tornado_00000050"
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"

pytestmark = pytest.mark.skipif(
    not (XBD / f"{TILE}_post_disaster.json").is_file(), reason="no xBD data"
)


def _iou(a, b) -> float:
    return a.intersection(b).area / a.union(b).area


def test_an_xbd_label_gives_polygon_buildings_by_damage_level():
    image = read_xbd_label(XBD / f"{TILE}_post_disaster.json")
    classes = sorted(o.class_name for o in image.objects)
    assert classes == ["building"] + ["destroyed_building"] * 11 + ["major_damage_building"] * 3
    assert all(o.outline.geom_type == "Polygon" and o.world is not None for o in image.objects)
    assert image.event.event == "joplin-tornado" and image.event.disaster_type == "wind"
    assert image.event.phase == "post" and image.event.counterpart == f"{TILE}_pre_disaster"
    assert dict(image.facts)["sensor"] == "WORLDVIEW02" and image.gsd == pytest.approx(2.3526, 1e-4)
    # the fitted georeference carries every pixel vertex within a metre of its lng/lat
    for o in image.objects:
        pixels, degrees = shapely.get_coordinates(o.outline), shapely.get_coordinates(o.world)
        placed = image.georeference.to_crs84(pixels)
        error = (placed - degrees) * [111_320 * np.cos(np.radians(37.07)), 110_540]
        metres = np.hypot(error[:, 0], error[:, 1])
        assert metres.max() < 1.0


def test_the_damage_mask_traces_the_label_polygons():
    """xBD's *_b1.png masks against the JSON polygons: IoU per building, and the damage class."""
    for phase in ("pre", "post"):
        mask = read_class_mask(
            XBD / f"{TILE}_{phase}_disaster_b1.png", MaskOptions(load_class_map("xbd"), tolerance=0)
        )
        label = read_xbd_label(XBD / f"{TILE}_{phase}_disaster.json")
        assert len(mask.objects) == len(label.objects) == 15
        best = [max(mask.objects, key=lambda m: _iou(o.outline, m.outline)) for o in label.objects]
        ious = [_iou(o.outline, m.outline) for o, m in zip(label.objects, best)]
        median = np.median(ious)
        print(f"\n{phase}: IoU per building {np.round(ious, 3).tolist()}, median {median:.3f}")
        assert np.median(ious) >= 0.9 and min(ious) > 0.8
        if phase == "post":
            assert [m.class_name for m in best] == [o.class_name for o in label.objects]


@pytest.fixture(scope="module")
def dota_v1_labels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dota-v1")
    with tarfile.open(DATA / "dota-v1" / "labels.tar.gz") as archive:
        for name in ("P0003", "P0004", "P0005"):
            member = archive.getmember(f"labelTxt/{name}.txt")
            archive.extract(member, folder, filter="data")
    return folder / "labelTxt"


def test_isaid_instances_agree_with_the_dota_boxes(dota_v1_labels):
    matched = total = 0
    for name in ("P0003", "P0004", "P0005"):
        instances = read_instance_mask(
            ISAID / f"{name}_instance_id_RGB.png", MaskOptions(), load_class_map("isaid")
        )
        dota = read_label_file(dota_v1_labels / f"{name}.txt")
        boxes = [shapely.Polygon(np.reshape(o.corners, (4, 2))) for o in dota.objects]
        for o in instances.objects:
            iou, k = max((_iou(o.outline, b), k) for k, b in enumerate(boxes))
            matched += iou >= 0.5 and dota.objects[k].class_name == o.class_name
        total += len(instances.objects)
    share = matched / total
    print(f"\niSAID P0003-P0005: {matched} of {total} instances match a DOTA box ({share:.1%})")
    assert total == 306 and matched / total >= 0.85


def test_queries_over_polygons_match_shapely(tmp_path):
    """Ingest the xBD pair; "destroyed buildings near each other" equals the pairs whose
    polygon distance shapely finds within the larger minimum-rotated-rectangle side."""
    store_dir = tmp_path / "db"
    files = [str(XBD / f"{TILE}_{p}_disaster.json") for p in ("pre", "post")]
    assert main(["ingest", *files, "--source", "xbd", "--store", str(store_dir), "--quiet"]) == 0
    store = Store(store_dir)
    found = answer(
        "destroyed_building(a) & destroyed_building(b) & near(a, b)", store, mode="crisp", limit=0
    )
    assert [r.image for r in found.results] == [f"{TILE}_post_disaster"]
    polygons = [
        o.outline
        for o in read_xbd_label(XBD / f"{TILE}_post_disaster.json").objects
        if o.class_name == "destroyed_building"
    ]

    def long_side(p):
        x, y = shapely.minimum_rotated_rectangle(p).exterior.xy
        return max(np.hypot(np.diff(x), np.diff(y)))

    expected = any(
        a.distance(b) <= max(long_side(a), long_side(b))
        for i, a in enumerate(polygons)
        for b in polygons[i + 1 :]
    )
    assert expected
    witness = found.results[0].witness[0]
    assert witness.wkt.split("> ", 1)[1].startswith("POLYGON")  # the outline, not a box
    # the event, its phases, and the CRS84 outlines
    post = "<https://w3id.org/rune-kg/data/image/joplin-tornado_00000050_post_disaster>"
    assert store.query(
        f"ASK {{ {post} rune:event ?e ; rune:eventPhase 'post' ; rune:preEventImage ?pre . "
        "?e a rune:DisasterEvent ; rune:disasterType 'wind' . ?pre rune:eventPhase 'pre' }"
    )
    wkt = next(iter(store.query(f"SELECT ?w {{ {post} geo:hasDefaultGeometry/geo:asWKT ?w }}")))[
        "w"
    ]
    assert wkt.value.startswith(CRS84)
    # rebuilt from the store alone, the index answers the same
    from rune_kg.kg.index import from_store

    assert from_store(store, progress=False).polygon.sum() == 30


def test_bad_disaster_files_are_named_and_skipped(tmp_path, capsys):
    good = XBD / f"{TILE}_post_disaster.json"
    document = json.loads(good.read_text())
    no_features = tmp_path / "a_00000001_post_disaster.json"
    no_features.write_text(json.dumps({"metadata": {}}))
    crossing = tmp_path / "b_00000002_post_disaster.json"
    document["features"]["xy"][2]["wkt"] = "POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))"
    crossing.write_text(json.dumps(document))
    mask = tmp_path / "c_lab.png"
    from PIL import Image

    Image.fromarray(np.array([[0, 1], [12, 1]], dtype=np.uint8)).save(mask)
    store = str(tmp_path / "db")
    args = [
        "ingest",
        str(no_features),
        str(crossing),
        str(mask),
        str(good),
        "--class-map",
        "floodnet",
    ]
    assert main([*args, "--store", store, "--quiet"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"error: {no_features}: no `features` with `xy` polygons: not an xBD label" in err
    uid = document["features"]["xy"][2]["properties"]["uid"]
    assert any(f"{crossing}:feature 2 ({uid}): the polygon crosses itself" in line for line in err)
    assert f"error: {mask}: values 12 are not in the class map floodnet" in err
    assert len(list(Store(store).query("SELECT ?i WHERE { ?i a rune:Image }"))) == 1


def test_the_florence_table_of_boxes(tmp_path):
    store_dir = tmp_path / "db"
    table = str(XBD / "florence_bbox.csv")
    assert (
        main(["ingest", table, "--source", "florence", "--store", str(store_dir), "--quiet"]) == 0
    )
    store = Store(store_dir)
    counts = {
        r["c"].value: int(r["n"].value)
        for r in store.query(
            "SELECT ?c (COUNT(?e) AS ?n) WHERE { ?e rune:className ?c } GROUP BY ?c"
        )
    }
    assert counts == {
        "undamaged_building": 18467,
        "major_damage_building": 1849,
        "destroyed_building": 78,
    }
    images = store.query(
        "SELECT (COUNT(?i) AS ?n) WHERE { ?i a rune:Image ; rune:eventPhase 'post' }"
    )
    assert int(next(iter(images))["n"].value) == 512


def test_the_flood_demo_needs_its_data_and_draws_a_polygon_witness(tmp_path, capsys):
    """docs/disasters.md runs the whole demo; here: the xBD pair alone, and no data."""
    assert main(["demo", "--use-case", "flood", "--store", str(tmp_path / "a")]) == 2
    assert "--data DIR with xBD label files" in capsys.readouterr().err
    data = tmp_path / "xbd"
    data.mkdir()
    for path in XBD.glob(f"{TILE}_*"):
        (data / path.name).symlink_to(path)
    out = tmp_path / "flood.png"
    args = ["demo", "--use-case", "flood", "--data", str(data), "--out", str(out)]
    assert main([*args, "--store", str(tmp_path / "b")]) == 0
    printed = capsys.readouterr().out
    assert "joplin-tornado (wind), post: 1 images, 14 damaged buildings" in printed
    assert "exists>=6 a: destroyed_building(a)" in printed and out.stat().st_size > 10_000
