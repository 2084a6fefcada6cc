"""Readers for DOTA files: labelTxt annotations and Task1 detection results.

labelTxt: optional `imagesource:` / `gsd:` header lines, then one object a line,
`x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]`. Task1 detections: one file per class,
`Task1_<class>.txt`, lines `image_id score x1 y1 ... x4 y4`; `write_detection_files` writes them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

from ..errors import DotaFormatError
from ..vocab import leaf_classes
from .records import DotaImage, DotaObject

_TASK1_NAME = re.compile(r"^Task1_(?P<cls>.+)\.txt$")


def _number(text: str, path: Path, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DotaFormatError(path, line, f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise DotaFormatError(path, line, f"not a finite number: {text!r}")
    return value


def _class_name(dota_name: str, path: Path, line: int) -> str:
    classes = leaf_classes()
    if dota_name not in classes:
        raise DotaFormatError(
            path, line, f"unknown class {dota_name!r} (known: {', '.join(sorted(classes))})"
        )
    return classes[dota_name].name


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()  # \n, \r\n and \r alike
    except UnicodeDecodeError as err:
        raise DotaFormatError(path, None, f"not UTF-8 text ({err.reason})") from None


def read_label_file(path: Path | str) -> DotaImage:
    """Read one labelTxt file; the image id is the file stem."""
    path = Path(path)
    header: dict[str, str] = {}
    objects = []
    for number, raw in enumerate(_lines(path), start=1):
        text = raw.strip()
        if not text:
            continue
        key, sep, value = text.partition(":")
        if sep and key in ("imagesource", "gsd") and not objects:
            header[key] = value.strip()
            continue
        fields = text.split()
        if len(fields) not in (9, 10):
            raise DotaFormatError(
                path,
                number,
                f"expected 9 or 10 fields (8 coordinates, class, [difficult]), got {len(fields)}",
            )
        try:
            corners = tuple(map(float, fields[:8]))
            finite = all(map(math.isfinite, corners))
        except ValueError:
            finite = False
        if not finite:  # name the culprit
            corners = tuple(_number(f, path, number) for f in fields[:8])
        difficult = 0
        if len(fields) == 10:
            if fields[9] not in ("0", "1", "2"):
                raise DotaFormatError(
                    path, number, f"difficult must be 0, 1 or 2, got {fields[9]!r}"
                )
            difficult = int(fields[9])
        objects.append(DotaObject(_class_name(fields[8], path, number), corners, 1.0, difficult))
    gsd = header.get("gsd")
    return DotaImage(
        image_id=path.stem,
        source_file=str(path),
        objects=tuple(objects),
        image_source=header.get("imagesource"),
        gsd=float(gsd) if gsd and _is_float(gsd) else None,
    )


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def is_detection_file(path: Path) -> bool:
    return bool(_TASK1_NAME.match(path.name))


def read_detection_files(paths: list[Path]) -> tuple[list[DotaImage], list[DotaFormatError]]:
    """Gather Task1_<class>.txt files into one DotaImage per image id, and every file's error.
    Any file may hold objects of any image, so with one error no image is whole: the caller
    stores none of them."""
    per_image: dict[str, list[DotaObject]] = defaultdict(list)
    sources: dict[str, str] = {}
    errors: list[DotaFormatError] = []
    for path in paths:
        try:
            objects = _read_detection_file(path)
        except DotaFormatError as err:
            errors.append(err)
            continue
        except OSError as err:
            errors.append(DotaFormatError(path, None, str(err)))
            continue
        for image_id, found in objects:
            per_image[image_id].append(found)
            sources.setdefault(image_id, str(path))
    images = [
        DotaImage(image_id, sources[image_id], tuple(objs))
        for image_id, objs in sorted(per_image.items())
    ]
    return images, errors


def _read_detection_file(path: Path) -> list[tuple[str, DotaObject]]:
    match = _TASK1_NAME.match(path.name)
    if not match:
        raise DotaFormatError(path, None, "detection files are named Task1_<class>.txt")
    class_name = _class_name(match["cls"], path, 0)
    found = []
    for number, raw in enumerate(_lines(path), start=1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 10:
            raise DotaFormatError(
                path,
                number,
                f"expected 10 fields (image_id score x1 y1 ... x4 y4), got {len(fields)}",
            )
        score = _number(fields[1], path, number)
        if not 0.0 < score <= 1.0:
            raise DotaFormatError(path, number, f"score must be in (0, 1], got {fields[1]}")
        corners = tuple(_number(f, path, number) for f in fields[2:])
        found.append((fields[0], DotaObject(class_name, corners, score, 0)))
    return found


def write_detection_files(images: list[DotaImage], folder: Path) -> list[Path]:
    """Write the images' objects as DOTA Task1 detection results: Task1_<class>.txt files of
    `image_id confidence x1 y1 ... x4 y4` lines. Task1 files already in the folder are removed
    first, so an earlier run's classes do not linger."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if is_detection_file(stale) and stale.is_file():
            stale.unlink()
    dota = {c.name: dota_name for dota_name, c in leaf_classes().items()}
    lines: dict[str, list[str]] = {}
    for image in images:
        for o in image.objects:
            lines.setdefault(dota[o.class_name], []).append(
                f"{image.image_id} {o.confidence:.4f} " + " ".join(f"{v:.1f}" for v in o.corners)
            )
    paths = []
    for name, rows in sorted(lines.items()):
        path = folder / f"Task1_{name}.txt"
        path.write_text("\n".join(rows) + "\n")
        paths.append(path)
    return paths
