"""The retrieval benchmark: perturbation, metrics, questions, and `rune eval` end to end on the
real images."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rune_kg.errors import EvaluationError
from rune_kg.evaluation.metrics import (
    average_precision,
    ndcg_at,
    recall_at,
    robustness,
    robustness_to_easiest,
)
from rune_kg.evaluation.perturb import perturb
from rune_kg.evaluation.questions import LEVELS, TEMPLATES, generate, hand_written
from rune_kg.evaluation.synthetic import drawn_images, read_real
from rune_kg.ingest.dota import read_detection_files, write_detection_files
from rune_kg.query.formula import alpha_normal
from rune_kg.query.parse import parse
from rune_kg.translate import translate

from .conftest import LABELS


def test_metrics_on_known_rankings():
    assert average_precision(["a", "x", "b"], {"a", "b"}) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(["x", "a"], {"a", "b"}) == pytest.approx(0.25)  # b never ranked
    assert recall_at(["a", "x", "b"], {"a", "b"}, 1) == 1.0
    assert recall_at(["x", "a"], {"a", "b", "c"}, 2) == 0.5
    assert ndcg_at(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], {"a"}) == pytest.approx(1 / 1.5849625, rel=1e-6)
    # RRQC / RRIU: the mean share of the best point kept; 1 = flat, never above 1
    assert robustness({1: 0.8, 2: 0.4, 3: 0.2}) == pytest.approx((0.8 + 0.4 + 0.2) / 3 / 0.8)
    assert robustness({1: 0.5, 2: 0.5}) == 1.0
    assert robustness({0.0: 0.0, 0.2: 0.0}) is None
    # the easiest point hurt most: the earlier definition read "more robust than perfect"
    hurt_first = {1: 0.2, 2: 0.5, 3: 0.4}
    assert robustness_to_easiest(hurt_first) == pytest.approx(2.25)
    assert robustness(hurt_first) == pytest.approx(1.1 / 3 / 0.5)  # 0.73
    assert robustness_to_easiest({1: 0.8, 2: 0.4, 3: 0.2}) == pytest.approx(0.375)


def _confused(images, noisy) -> list:
    """Objects whose class changed (comparing the kept objects in order, a lower bound)."""
    return [
        o
        for a, b in zip(images, noisy)
        for o, p in zip(a.objects, b.objects)
        if o.class_name != p.class_name
    ]


def test_drawn_images_are_real_images_mirrored():
    """synthetic.drawn_images: each image is a real one, its objects' classes, sizes and
    corner turning kept, mirrored in one of four ways about its objects' extent."""
    real = {image.image_id: image for image in read_real(LABELS)}
    drawn = drawn_images(list(real.values()), 100, seed=3)
    assert drawn == drawn_images(list(real.values()), 100, seed=3)

    def corners(image):
        return np.array([o.corners for o in image.objects]).reshape(-1, 4, 2)

    def signed_areas(c):
        x, y = c[:, :, 0], c[:, :, 1]
        return (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1) / 2

    mirrors = set()
    for image in drawn:
        base = real[image.source_file.removeprefix("drawn from ")]
        assert [o.class_name for o in image.objects] == [o.class_name for o in base.objects]
        before, after = corners(base), corners(image)
        assert signed_areas(after) == pytest.approx(signed_areas(before))
        flips = []
        for axis in (0, 1):
            values = before[:, :, axis]
            if np.allclose(after[:, 0, axis], values[:, 0]):
                flips.append(False)
            else:  # mirrored: the first corner stays first
                assert after[:, 0, axis] == pytest.approx(
                    values.min() + values.max() - values[:, 0]
                )
                flips.append(True)
        mirrors.add(tuple(flips))
    assert len(mirrors) == 4


def test_perturbation_is_graded_and_seeded(tmp_path):
    images = read_real(LABELS)
    clean = perturb(images, 0.0)
    assert [o.corners for o in clean[0].objects] == [o.corners for o in images[0].objects]
    assert all(o.confidence == 1.0 for im in clean for o in im.objects)
    total = sum(len(im.objects) for im in images)
    light, heavy = perturb(images, 0.2, seed=3), perturb(images, 0.6, seed=3)
    assert heavy == perturb(images, 0.6, seed=3)  # the seed fixes it
    assert len(_confused(images, light)) < len(_confused(images, heavy))
    for noisy in (light, heavy):
        assert all(0 < o.confidence <= 1 for im in noisy for o in im.objects)
        assert sum(len(im.objects) for im in noisy) != total
    files = write_detection_files(heavy, tmp_path)
    read_back = {im.image_id: len(im.objects) for im in read_detection_files(files)[0]}
    assert read_back == {im.image_id: len(im.objects) for im in heavy if im.objects}
    with pytest.raises(EvaluationError):
        perturb(images, 1.5)


def test_the_embedded_translator_reads_every_benchmark_question():
    """The English of the hand-written and generated questions means their gold formulas."""
    generated = generate(lambda fol: 1, 100, per_level=len(TEMPLATES), seed=7)
    assert {q.level for q in generated} == set(LEVELS)
    assert {q.origin for q in generated} == set(TEMPLATES)
    for q in hand_written() + generated:
        assert alpha_normal(translate(q.question).formula) == alpha_normal(parse(q.fol)), q.question


def test_rune_eval_end_to_end(tmp_path):
    from rune_kg.cli import main

    out = tmp_path / "out"
    status = main(
        [
            "eval",
            "--collection",
            "sample",
            "--uncertainty",
            "0",
            "0.4",
            "--per-level",
            "2",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
            "--quiet",
        ]
    )
    assert status == 0
    data = json.loads((out / "metrics.json").read_text())
    summary = {(s["method"], s["uncertainty"], s["level"]): s for s in data["summary"]}
    # The ground truth is rune-kg's crisp answer on the annotations: exact at u = 0.
    assert summary[("rune-crisp", 0.0, "all")]["mAP"] == 1.0
    assert summary[("rune-scored", 0.4, "all")]["mAP"] < 1.0
    assert summary[("bag-of-classes", 0.0, "all")]["mAP"] < 1.0
    for s in data["summary"]:
        assert 0 <= s["mAP"] <= 1 and 0 <= s["nDCG@10"] <= 1 and s["questions"] > 0
    assert {r["method"] for r in data["robustness"]} == {
        "rune-scored",
        "rune-crisp",
        "rune-pipeline",
        "bag-of-classes",
        "text-minilm",
    }
    levels = {q["level"] for q in data["questions"]["sample"]}
    assert levels == set(LEVELS)
    for name in (
        "metrics.csv",
        "outcomes.csv",
        "report.md",
        "sample-level.png",
        "sample-uncertainty.png",
    ):
        assert (out / name).stat().st_size > 100
    assert "RRQC" in (out / "report.md").read_text()
    for r in data["robustness"]:
        assert all(v is None or 0 <= v <= 1 for v in [*r["RRQC"].values(), r["RRIU"]])
    # the noisy run lists every image, also any the noise leaves without objects
    run = json.loads((tmp_path / "work" / "sample" / "noise-0.40-seed0" / "run.json").read_text())
    assert len(run["images"]) == 25 and run["detector"].startswith(
        "simulated detector, uncertainty 0.4"
    )


def test_held_out_wordings_differ_from_the_templates():
    """rune-pipeline reads a wording the translator was not written around."""
    generated = generate(lambda fol: 1, 100, per_level=10, seed=3)
    assert all(q.wording and q.wording != q.question for q in hand_written() + generated)


def test_the_dota_v1_collection_needs_its_labels(tmp_path, capsys):
    from rune_kg.cli import main

    status = main(["eval", "--collection", "dota-v1", "--out", str(tmp_path / "o"), "--quiet"])
    assert status == 2
    assert "--labels DIR" in capsys.readouterr().err
