import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest
from pyoxigraph import Variable

from rune_kg.errors import IngestError
from rune_kg.ingest import ingest
from rune_kg.ingest.dota import read_detection_files, read_label_file, write_detection_files
from rune_kg.ingest.records import DotaImage, DotaObject, RunInfo
from rune_kg.ingest.runfile import write_run_file
from rune_kg.kg import Store
from rune_kg.kg.iris import run_iri
from rune_kg.kg.pictures import picture_paths
from rune_kg.kg.stats import collection_stats
from rune_kg.query.engine import answer

from .conftest import IMAGES, LABELS

SOURCES_COUNTS = {
    "small_vehicle": 1465,
    "large_vehicle": 1041,
    "ship": 608,
    "storage_tank": 255,
    "harbor": 202,
    "plane": 83,
    "tennis_court": 18,
    "swimming_pool": 9,
    "bridge": 6,
    "ground_track_field": 3,
    "soccer_ball_field": 3,
    "baseball_diamond": 2,
}


def test_real_dota_gives_25_images_3695_entities(store):
    stats = collection_stats(store)
    assert stats["images"] == 25 and stats["entities"] == 3695
    assert stats["classes"] == SOURCES_COUNTS


def test_centroids_and_areas_equal_the_file_polygons(store):
    image = read_label_file(LABELS / "P1888.txt")
    rows = store.query("""SELECT ?e ?cx ?cy ?area WHERE { ?e rune:inImage ?i ; rune:centroidX ?cx ;
        rune:centroidY ?cy ; rune:area ?area . ?i rune:imageId "P1888" }""")
    got = {
        int(r["e"].value.rsplit("/", 1)[1]): (
            float(r["cx"].value),
            float(r["cy"].value),
            float(r["area"].value),
        )
        for r in rows
    }
    assert len(got) == len(image.objects)
    for k, obj in enumerate(image.objects):
        xy = np.array(obj.corners).reshape(4, 2)
        x, y = xy[:, 0], xy[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
        assert got[k] == pytest.approx((x.mean(), y.mean(), area), abs=1e-9)


def test_pictures_are_linked_with_their_size(store):
    row = next(
        iter(
            store.query(
                "SELECT ?f ?w ?h WHERE "
                '{ ?i rune:imageId "P0706" ; rune:imageFile ?f ; rune:width ?w ; rune:height ?h }'
            )
        )
    )
    assert (
        row["f"].value.endswith("P0706.png") and int(row["w"].value) > 0 and int(row["h"].value) > 0
    )


def test_provenance_links_entities_to_run(store):
    rows = list(
        store.query("""SELECT (COUNT(?e) AS ?n) WHERE { ?e prov:wasGeneratedBy ?r .
        ?r a rune:DetectionRun ; rune:sourceName "dota" ; prov:startedAtTime ?t }""")
    )
    assert int(rows[0]["n"].value) == 3695


def test_reingest_replaces_each_image(tmp_path):
    store = Store(tmp_path / "db")
    ingest([LABELS / "P1888.txt", LABELS / "P0770.txt"], store, progress=False, workers=1)
    first = len(store)
    ingest([LABELS / "P1888.txt", LABELS / "P0770.txt"], store, progress=False, workers=1)
    assert len(store) == first
    ingest([LABELS / "P1888.txt"], store, images_dir=IMAGES, progress=False, workers=1)
    assert len(store) == first + 3  # the picture file, width and height


def test_broken_file_fails_alone(tmp_path):
    good, bad = tmp_path / "in", tmp_path / "in" / "P9999.txt"
    good.mkdir()
    for name in ("P0770.txt", "P2598.txt"):
        (good / name).write_bytes((LABELS / name).read_bytes())
    bad.write_text("imagesource:GoogleEarth\n1 2 3 4 5 6 7 8 ship 0\n1 2 3 4 five 6 7 8 ship 0\n")
    db = tmp_path / "db"
    earlier = Store(db)
    ingest([LABELS / "P1888.txt"], earlier, progress=False, workers=1)
    del earlier
    run = subprocess.run(
        [sys.executable, "-m", "rune_kg.cli", "ingest", str(good), "--store", str(db), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert f"{bad}:3" in run.stderr
    ids = {
        r["id"].value
        for r in Store(db, read_only=True).query("SELECT ?id WHERE { ?i rune:imageId ?id }")
    }
    assert ids == {"P0770", "P2598", "P1888"}


def test_detections_ingest_with_confidence(tmp_path):
    (tmp_path / "Task1_plane.txt").write_text(
        "D1 0.75 0 0 40 0 40 10 0 10\nD1 0.5 50 0 90 0 90 10 50 10\n"
    )
    store = Store(tmp_path / "db")
    report = ingest(
        [tmp_path / "Task1_plane.txt"], store, source="retinanet", progress=False, workers=1
    )
    assert (report.images, report.entities) == (1, 2)
    confs = Counter(
        float(r["c"].value) for r in store.query("SELECT ?c WHERE { ?e rune:confidence ?c }")
    )
    assert confs == {0.75: 1, 0.5: 1}


def _detector_output(folder, source="retina-x"):
    """A folder as `rune detect --out` leaves it: Task1 files and run.json; D2 had no detection."""
    folder.mkdir(parents=True)
    (folder / "Task1_plane.txt").write_text("D1 0.75 0 0 40 0 40 10 0 10\n")
    run = RunInfo(
        source,
        "mmrotate RotatedRetinaNet (test)",
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 5, 0, tzinfo=UTC),
        (("checkpointSha256", "ab" * 32), ("scoreThreshold", 0.3), ("tileSize", 1024)),
        (("airplane", "plane"),),
    )
    write_run_file(folder, run, {"D1": None, "D2": IMAGES / "P1888.png"})
    return folder


def _run_facts(store, source):
    rows = store.query(
        "SELECT ?run ?p ?o WHERE { ?run ?p ?o }", substitutions={Variable("run"): run_iri(source)}
    )
    return {(r["p"].value.rsplit("#", 1)[-1], r["o"].value) for r in rows}


def test_detection_folder_keeps_its_run_provenance_and_empty_images(tmp_path):
    out = _detector_output(tmp_path / "det")
    store = Store(tmp_path / "db")
    report = ingest([out], store, progress=False, workers=1)
    assert report.source == "retina-x" and (report.images, report.entities) == (2, 1)
    facts = _run_facts(store, "retina-x")
    assert {
        ("checkpointSha256", "ab" * 32),
        ("scoreThreshold", "0.3"),
        ("tileSize", "1024"),
        ("detector", "mmrotate RotatedRetinaNet (test)"),
        ("startedAtTime", "2026-01-02T03:04:05Z"),
        ("endedAtTime", "2026-01-02T03:05:00Z"),
    } <= facts
    mapped = store.query("SELECT ?n ?c WHERE { ?m rune:modelClassName ?n ; rune:mappedClass ?c }")
    assert [(r["n"].value, r["c"].value.rsplit("#")[-1]) for r in mapped] == [("airplane", "Plane")]
    files = {
        r["id"].value: r["file"].value if r["file"] else None
        for r in store.query(
            "SELECT ?id ?file WHERE { ?i rune:imageId ?id OPTIONAL { ?i rune:imageFile ?file } }"
        )
    }
    assert files == {"D1": None, "D2": "P1888.png"}  # the name; its path stays beside the store
    assert picture_paths(store)["D2"] == str((IMAGES / "P1888.png").resolve())
    # D2, read but empty, answers "no plane"
    assert [
        r.image
        for r in answer("NOT exists x: plane(x)", store, mode="crisp", source="retina-x").results
    ] == ["D2"]

    renamed = ingest([out / "Task1_plane.txt"], store, source="renamed", progress=False, workers=1)
    assert renamed.images == 2 and ("checkpointSha256", "ab" * 32) in _run_facts(store, "renamed")


def test_run_files_must_be_one_and_readable(tmp_path):
    _detector_output(tmp_path / "all" / "a", "a")
    _detector_output(tmp_path / "all" / "b", "b")
    with pytest.raises(IngestError, match="several runs"):
        ingest([tmp_path / "all"], Store(tmp_path / "db"), progress=False, workers=1)
    (tmp_path / "all" / "b" / "run.json").write_text(
        '{"format": "rune-kg detection run 1", "source": "b"}'
    )
    with pytest.raises(IngestError, match="unreadable run file.*KeyError"):
        ingest([tmp_path / "all" / "b"], Store(tmp_path / "db"), progress=False, workers=1)
    document = json.loads((tmp_path / "all" / "a" / "run.json").read_text())
    document["properties"].append(["colour", "red"])
    (tmp_path / "all" / "a" / "run.json").write_text(json.dumps(document))
    with pytest.raises(IngestError, match="'colour' = 'red' is not a rune: property"):
        ingest([tmp_path / "all" / "a"], Store(tmp_path / "db"), progress=False, workers=1)


def test_detection_files_replace_an_earlier_runs(tmp_path):
    (tmp_path / "Task1_ship.txt").write_text("D9 0.5 0 0 40 0 40 10 0 10\n")
    image = read_detection_files([tmp_path / "Task1_ship.txt"])[0][0]
    plane = DotaImage("D1", "x", (DotaObject("plane", (0, 0, 40, 0, 40, 10, 0, 10), 0.75, 0),))
    assert [p.name for p in write_detection_files([plane], tmp_path)] == ["Task1_plane.txt"]
    assert (
        sorted(p.name for p in tmp_path.iterdir()) == ["Task1_plane.txt"] and image.image_id == "D9"
    )


def test_a_store_from_before_the_picture_list_keeps_its_pictures(tmp_path):
    """Stores ingested when the graph held the picture's absolute path still find it."""
    from rune_kg.query.explain import picture_file

    store = Store(tmp_path / "db")
    ingest([LABELS / "P0706.txt"], store, images_dir=IMAGES, progress=False, workers=1)
    (tmp_path / "db" / "pictures.json").unlink()
    store.cache.pop("pictures")
    path = (IMAGES / "P0706.png").resolve()
    data = "https://w3id.org/rune-kg/data/"
    store.update(
        "DELETE WHERE { GRAPH ?g { ?i rune:imageFile ?f } } ; INSERT DATA { GRAPH "
        f'<{data}graph/dota/P0706> {{ <{data}image/P0706> rune:imageFile "{path}" }} }}'
    )
    assert picture_file(store, "P0706") == path
