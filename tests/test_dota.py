from pathlib import Path

import pytest

from rune_kg.errors import DotaFormatError
from rune_kg.ingest.dota import read_detection_files, read_label_file

from .conftest import LABELS


def test_real_files_with_and_without_headers():
    gf = read_label_file(LABELS / "P1234.txt")
    assert (gf.image_source, gf.gsd) == ("GF", 1.0)
    bare = read_label_file(LABELS / "P0032.txt")
    assert bare.image_source is None and bare.gsd is None and len(bare.objects) == 56


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_floats_and_difficult_variants(tmp_path, newline):
    lines = [
        "imagesource:GoogleEarth",
        "gsd:0.5",
        "1 2 11 2 11 7 1 7 small-vehicle 0",
        "1.5 2.5 11.5 2.5 11.5 7.5 1.5 7.5 ship 2",
        "0 0 4 0 4 4 0 4 harbor",
    ]
    path = tmp_path / "X1.txt"
    path.write_bytes(newline.join(lines).encode())
    image = read_label_file(path)
    assert [o.class_name for o in image.objects] == ["small_vehicle", "ship", "harbor"]
    assert [o.difficult for o in image.objects] == [0, 2, 0]
    assert image.objects[1].corners[0] == 1.5


@pytest.mark.parametrize(
    "line, reason",
    [
        ("1 2 3 4 5 6 7 small-vehicle", "expected 9 or 10 fields"),
        ("1 2 3 4 5 6 7 x small-vehicle 0", "not a number: 'x'"),
        ("1 2 3 4 5 6 7 8 spaceship 0", "unknown class 'spaceship'"),
        ("1 2 3 4 5 6 7 8 ship 7", "difficult must be 0, 1 or 2"),
    ],
)
def test_broken_lines_name_file_and_line(tmp_path, line, reason):
    path = tmp_path / "BAD.txt"
    path.write_text(f"gsd:1\n0 0 1 0 1 1 0 1 ship 0\n{line}\n")
    with pytest.raises(DotaFormatError) as err:
        read_label_file(path)
    assert err.value.line == 3 and str(path) in str(err.value) and reason in str(err.value)


def test_task1_detection_files(tmp_path):
    (tmp_path / "Task1_ship.txt").write_text("P1 0.9 0 0 10 0 10 5 0 5\nP2 0.5 1 1 2 1 2 2 1 2\n")
    (tmp_path / "Task1_small-vehicle.txt").write_text("P1 0.25 20 20 30 20 30 25 20 25\n")
    images, errors = read_detection_files(sorted(tmp_path.iterdir()))
    assert not errors
    assert [i.image_id for i in images] == ["P1", "P2"]
    assert sorted((o.class_name, o.confidence) for o in images[0].objects) == [
        ("ship", 0.9),
        ("small_vehicle", 0.25),
    ]
    (tmp_path / "Task1_ship.txt").write_text("P1 1.5 0 0 10 0 10 5 0 5\n")
    (tmp_path / "Task1_plane.txt").write_text("P1 0.5 0 0 10\n")
    images, errors = read_detection_files(sorted(tmp_path.iterdir()))  # every bad file named
    assert [(Path(e.path).name, e.line) for e in errors] == [
        ("Task1_plane.txt", 1),
        ("Task1_ship.txt", 1),
    ]
    assert "score must be in" in str(errors[1]) and "expected 10 fields" in str(errors[0])
