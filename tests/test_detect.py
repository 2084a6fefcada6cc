"""The detection stage with the real mmrotate: a rotated RetinaNet built from mmrotate's own
config with random weights, saved as a checkpoint and run through `rune detect` on the real
DOTA pictures. Without mmrotate (scripts/install-detector.sh) these tests skip, unless
RUNE_REQUIRE_DETECTOR=1 (as in CI) makes that a failure."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest

from rune_kg.cli import main
from rune_kg.detect import DetectError, DetectOptions, detect
from rune_kg.detect.classes import class_mapping
from rune_kg.detect.corners import ANGLE_VERSIONS, obb_to_corners
from rune_kg.errors import ClassMappingError
from rune_kg.ingest.dota import read_detection_files
from rune_kg.kg import Store
from rune_kg.kg.iris import run_graph

from .conftest import IMAGES

CONFIG = "rotated_retinanet_obb_r50_fpn_1x_dota_le90"
SCORE_THR = (
    0.02  # freshly initialised RetinaNet scores about 0.01 (its prior); some boxes pass 0.02
)
DOTA_CLASSES = (
    "plane",
    "baseball-diamond",
    "bridge",
    "ground-track-field",
    "small-vehicle",
    "large-vehicle",
    "ship",
    "tennis-court",
    "basketball-court",
    "storage-tank",
    "soccer-ball-field",
    "roundabout",
    "harbor",
    "swimming-pool",
    "helicopter",
)


def _need_mmrotate():
    from rune_kg.detect.model import require_mmrotate

    try:
        require_mmrotate()
    except DetectError as err:
        if os.environ.get("RUNE_REQUIRE_DETECTOR") == "1":
            pytest.fail(f"mmrotate is required here (RUNE_REQUIRE_DETECTOR=1): {err}")
        pytest.skip(f"mmrotate is not installed ({err}); bash scripts/install-detector.sh")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A checkpoint of the bundled config's model with random weights and DOTA class names."""
    _need_mmrotate()
    from rune_kg.detect.model import random_checkpoint

    return random_checkpoint(
        CONFIG, tmp_path_factory.mktemp("model") / "retinanet-random.pth", DOTA_CLASSES
    )


# --- without mmrotate ---------------------------------------------------------------------


def test_axis_aligned_box_corners_start_top_left():
    corners = obb_to_corners(np.array([[50.0, 40.0, 20.0, 10.0, 0.0]]), "le90")
    assert corners.reshape(4, 2).tolist() == [
        [40.0, 35.0],
        [60.0, 35.0],
        [60.0, 45.0],
        [40.0, 45.0],
    ]
    with pytest.raises(ValueError, match="le90"):
        obb_to_corners(np.zeros((1, 5)), "le45")


def test_dota_models_map_by_name_and_others_by_a_mapping_file(tmp_path):
    dota = class_mapping(DOTA_CLASSES)
    assert dota.unmapped == [] and dict(dota.pairs())["small-vehicle"] == "small_vehicle"
    dior = class_mapping(["airplane", "vehicle", "windmill", "tenniscourt"], "dior")
    assert dior.targets == ("plane", "small_vehicle", None, "tennis_court") and dior.unmapped == [
        "windmill"
    ]
    own = tmp_path / "mine.toml"
    own.write_text('[classes]\nboat = "ship"\ncar = "small_vehicle"\n')
    assert class_mapping(["boat", "car", "plane"], str(own)).targets == (
        "ship",
        "small_vehicle",
        "plane",
    )
    own.write_text('[classes]\nboat = "submarine"\n')
    with pytest.raises(ClassMappingError, match="submarine.*no ontology class"):
        class_mapping(["boat"], str(own))
    with pytest.raises(ClassMappingError, match="give a mapping"):
        class_mapping(["cat", "dog"])
    with pytest.raises(ClassMappingError, match="bundled mappings: dior, fair1m"):
        class_mapping(["cat"], "nope")


def test_detect_needs_somewhere_to_put_results(capsys):
    assert main(["detect", str(IMAGES), "--config", CONFIG, "--checkpoint", "x.pth"]) == 2
    assert "--out DIR" in capsys.readouterr().err


# --- with mmrotate ------------------------------------------------------------------------


def test_corners_equal_mmrotates_own_conversion():
    _need_mmrotate()
    from mmrotate.core import obb2poly_np

    rng = np.random.default_rng(0)
    n = 500
    for version in ANGLE_VERSIONS:
        low = {"oc": 0.0, "le135": -np.pi / 4, "le90": -np.pi / 2}[version]
        high = low + (np.pi / 2 if version == "oc" else np.pi)
        obbs = np.column_stack(
            [
                rng.uniform(0, 1024, n),
                rng.uniform(0, 1024, n),
                rng.uniform(2, 300, n),
                rng.uniform(2, 300, n),
                rng.uniform(low, high, n),
            ]
        ).astype(np.float32)
        theirs = obb2poly_np(np.column_stack([obbs, np.ones(n, np.float32)]), version)[:, :8]
        ours = obb_to_corners(obbs, version)
        np.testing.assert_allclose(
            ours, theirs, atol=1e-3, err_msg=version
        )  # same corners, same order


def test_detect_writes_dota_detection_files_with_their_run(checkpoint, tmp_path, capsys):
    out = tmp_path / "det"
    code = main(
        [
            "detect",
            str(IMAGES),
            "--config",
            CONFIG,
            "--checkpoint",
            str(checkpoint),
            "--score-thr",
            str(SCORE_THR),
            "--out",
            str(out),
            "--ingest",
            "--store",
            str(tmp_path / "direct"),
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "in 4 images (8 tiles)" in printed and "tiles/s) on cpu" in printed
    images = {
        image.image_id: image for image in read_detection_files(sorted(out.glob("Task1_*.txt")))[0]
    }
    assert set(images) <= {"P0005", "P0248", "P0706", "P1888"} and images
    for image in images.values():
        for obj in image.objects:
            assert len(obj.corners) == 8 and SCORE_THR <= obj.confidence <= 1.0

    # a later `rune ingest` of the folder records the same run (run.json) and the same pictures
    assert main(["ingest", str(out), "--store", str(tmp_path / "later"), "--quiet"]) == 0
    graphs = []
    for name in ("direct", "later"):
        store = Store(tmp_path / name, read_only=True)
        run = store.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
            substitutions={ox.Variable("g"): run_graph(CONFIG)},
        )
        pictures = store.query(
            "SELECT ?id ?file WHERE { ?i rune:imageId ?id ; rune:imageFile ?file }"
        )
        graphs.append((set(run), {(r["id"].value, r["file"].value) for r in pictures}))
    assert graphs[0] == graphs[1] and len(graphs[0][0]) > 30 and len(graphs[0][1]) == 4


def test_tiles_are_merged_as_mmrotates_huge_image_inference(checkpoint):
    """P0706 (1111 x 1182 px) is cut into 4 tiles of 1024 px overlapping by 200 or more; the
    merged boxes equal mmrotate's own inference_detector_by_patches on the same model."""
    from mmrotate.apis import inference_detector_by_patches

    from rune_kg.detect.model import load_detector

    picture = IMAGES / "P0706.png"
    options = DetectOptions(CONFIG, checkpoint, score_thr=SCORE_THR, batch=3)
    result = detect([picture], options, progress=False)
    assert result.tiles == 4 and [image.image_id for image in result.images] == ["P0706"]
    ours = sorted(
        (o.class_name, round(o.confidence, 4), *np.round(o.corners, 2))
        for o in result.images[0].objects
    )

    detector = load_detector(CONFIG, checkpoint, score_thr=SCORE_THR)
    merged = inference_detector_by_patches(
        detector.model, str(picture), [1024], [824], [1.0], 0.1, bs=3
    )
    mapping = class_mapping(detector.classes)
    theirs = []
    for k, dets in enumerate(merged):
        dets = dets[
            (dets[:, 5] >= SCORE_THR)
            & (dets[:, 0] < 1111)
            & (dets[:, 1] < 1182)
            & (dets[:, 0] >= 0)
            & (dets[:, 1] >= 0)
        ]
        for corners, score in zip(obb_to_corners(dets[:, :5], "le90"), dets[:, 5]):
            theirs.append((mapping.targets[k], round(float(score), 4), *np.round(corners, 2)))
    assert ours == sorted(theirs) and ours
    centres = np.array(
        [np.mean(np.reshape(o.corners, (4, 2)), axis=0) for o in result.images[0].objects]
    )
    assert (
        centres.max(axis=0).min() > 1024 - 200
    )  # boxes from the lower and right tiles are placed back


def test_detect_ingests_entities_with_their_provenance(checkpoint, tmp_path, capsys):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    shutil.copy(IMAGES / "P1888.png", pictures)
    (pictures / "broken.png").write_bytes(b"not a picture")
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(IMAGES / "P1888.png", again)
    store_dir = tmp_path / "db"
    code = main(
        [
            "detect",
            str(pictures),
            str(again),
            "--config",
            CONFIG,
            "--checkpoint",
            str(checkpoint),
            "--score-thr",
            str(SCORE_THR),
            "--ingest",
            "--store",
            str(store_dir),
            "--source",
            "retina",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    # reported and skipped; the other picture goes on
    assert (
        code == 1
        and "broken.png" in captured.err
        and "already has the image id 'P1888'" in captured.err
    )
    assert "as source 'retina'" in captured.out

    store = Store(store_dir, read_only=True)
    run = ox.NamedNode("https://w3id.org/rune-kg/data/run/retina")
    facts = {}
    for row in store.query(
        "SELECT ?run ?p ?o WHERE { ?run ?p ?o }", substitutions={ox.Variable("run"): run}
    ):
        facts.setdefault(row["p"].value.rsplit("#", 1)[-1], []).append(row["o"].value)
    assert facts["checkpointSha256"] == [hashlib.sha256(checkpoint.read_bytes()).hexdigest()]
    assert facts["checkpoint"] == ["retinanet-random.pth"]
    assert facts["modelConfig"][0].endswith(f"{CONFIG}.py") and facts["angleVersion"] == ["le90"]
    assert facts["device"] == ["cpu"] and facts["scoreThreshold"] == [str(SCORE_THR)]
    assert facts["tileSize"] == ["1024"] and facts["tileOverlap"] == ["200"]
    assert {"mmrotate 0.3.4", "mmdet 2.28.2", "mmcv-full 1.7.2"} <= set(facts["softwareVersion"])
    assert "startedAtTime" in facts and "endedAtTime" in facts and len(facts["classMapping"]) == 15

    mapped = store.query(
        """SELECT ?run ?name ?class WHERE { ?run rune:classMapping ?m .
        ?m rune:modelClassName ?name ; rune:mappedClass ?class }""",
        substitutions={ox.Variable("run"): run},
    )
    assert {(r["name"].value, r["class"].value.rsplit("#")[-1]) for r in mapped} >= {
        ("small-vehicle", "SmallVehicle")
    }
    rows = list(
        store.query("""SELECT ?e ?run ?file WHERE { ?e a rune:Entity ; prov:wasGeneratedBy ?run ;
        rune:inImage ?img . ?img rune:imageFile ?file }""")
    )
    assert (
        rows
        and {r["run"] for r in rows} == {run}
        and {Path(r["file"].value).name for r in rows} == {"P1888.png"}
    )
    found = main(
        [
            "query",
            "--fol",
            "plane(a) | ship(a) | small_vehicle(a) | large_vehicle(a) | harbor(a)"
            " | storage_tank(a) | bridge(a) | tennis_court(a) | swimming_pool(a) | helicopter(a)"
            " | roundabout(a) | soccer_ball_field(a) | ground_track_field(a) | basketball_court(a)"
            " | baseball_diamond(a)",
            "--store",
            str(store_dir),
            "--source",
            "retina",
        ]
    )
    assert found == 0 and "P1888" in capsys.readouterr().out


def test_bad_checkpoint_config_and_device_are_clear_errors(checkpoint, tmp_path, capsys):
    args = ["detect", str(IMAGES / "P1888.png"), "--out", str(tmp_path)]
    assert main([*args, "--config", "no_such_model", "--checkpoint", str(checkpoint)]) == 2
    assert "bundled configs" in capsys.readouterr().err
    assert main([*args, "--config", CONFIG, "--checkpoint", str(tmp_path / "none.pth")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert (
        main([*args, "--config", CONFIG, "--checkpoint", str(checkpoint), "--device", "tpu"]) == 2
    )
    assert "--device must be" in capsys.readouterr().err
    with pytest.raises(DetectError, match="--overlap"):
        detect([IMAGES], DetectOptions(CONFIG, checkpoint, tile=512, overlap=600), progress=False)


def test_a_two_stage_model_loads_with_the_threshold_in_its_second_stage(tmp_path):
    """Oriented R-CNN (another bundled family): its score threshold sits in test_cfg.rcnn."""
    _need_mmrotate()
    from rune_kg.detect.model import load_detector, random_checkpoint

    config = "oriented_rcnn_r50_fpn_1x_dota_le90"
    detector = load_detector(
        config, random_checkpoint(config, tmp_path / "orcnn.pth", DOTA_CLASSES), score_thr=0.02
    )
    assert detector.model.roi_head.test_cfg.score_thr == 0.02 and detector.angle_version == "le90"
    assert detector.classes == DOTA_CLASSES
