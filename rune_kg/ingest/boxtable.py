"""Tables of boxes: a CSV with one axis-aligned box a row, as data sets derived from xBD ship
them (MARDAScience/XBD-hurricanes' florence_bbox.csv: 20,394 building boxes of 1,032
hurricane-Florence tiles).

Columns read: `filename` (the image id is its file stem: hurricane-florence_00000318_pre_disaster),
`class` (through a class map: xbd-levels by default), `xmin`, `xmax`, `ymin`, `ymax` (pixels).
Every image of the table becomes one; an image id that names an xBD tile also gets its event,
phase and counterpart (xbd.event_of).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import PurePath

from ..errors import LabelFormatError
from .classmaps import ClassMap
from .records import DotaImage, DotaObject
from .xbd import event_of

COLUMNS = ("filename", "class", "xmin", "xmax", "ymin", "ymax")


def is_box_table(path) -> bool:
    return str(path).lower().endswith(".csv")


def read_box_table(path, class_map: ClassMap) -> list[DotaImage]:
    """The images of a table of boxes (LabelFormatError naming the file and line: the whole
    table is then skipped, as any image may have rows anywhere in it)."""
    try:
        with open(path, newline="") as lines:
            reader = csv.DictReader(lines)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise LabelFormatError(path, 1, f"no column {', '.join(missing)}")
            objects = defaultdict(list)
            for number, row in enumerate(reader, start=2):
                image_id = PurePath(row["filename"].replace("\\", "/")).stem
                objects[image_id].append(_box(row, class_map, path, number))
    except (OSError, UnicodeDecodeError) as err:
        raise LabelFormatError(path, None, str(err)) from None
    return [
        DotaImage(image_id, str(path), tuple(found), event=event_of(image_id))
        for image_id, found in sorted(objects.items())
    ]


def _box(row: dict, class_map: ClassMap, path, number: int) -> DotaObject:
    label = row["class"].strip()
    if label not in class_map.classes:
        raise LabelFormatError(path, number, f"class {label!r} is not in {class_map.name}")
    try:
        x0, x1, y0, y1 = (float(row[c]) for c in ("xmin", "xmax", "ymin", "ymax"))
    except (TypeError, ValueError):
        raise LabelFormatError(path, number, "xmin, xmax, ymin and ymax must be numbers") from None
    if not all(map(math.isfinite, (x0, x1, y0, y1))) or x1 < x0 or y1 < y0:
        raise LabelFormatError(path, number, "a box needs finite xmin <= xmax and ymin <= ymax")
    return DotaObject(class_map.classes[label], (x0, y0, x1, y0, x1, y1, x0, y1))
