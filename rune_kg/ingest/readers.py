"""Which reader reads a label file: DOTA labelTxt and Task1 (dota), xBD label JSON (xbd),
tables of boxes (boxtable, gathered by the writer: many images a file), class-index and iSAID
instance masks (masks)."""

from __future__ import annotations

from pathlib import Path

from ..errors import LabelFormatError
from .boxtable import is_box_table
from .classmaps import load_class_map
from .dota import is_detection_file, read_label_file
from .masks import MaskOptions, is_instance_mask, read_class_mask, read_instance_mask
from .records import DotaImage
from .runfile import RUN_FILE
from .xbd import is_xbd_label, read_xbd_label

# DOTA labelTxt and Task1 files, xBD label files, tables of boxes; masks (MASK_SUFFIXES) are
# read with a class map, iSAID instance masks always
LABEL_SUFFIXES = (".txt", ".json", ".csv")
MASK_PICTURES = (".png", ".tif", ".tiff")


def read_labels(path: Path, options: MaskOptions) -> DotaImage:
    """One image's objects from its label file, by the file's kind (LabelFormatError)."""
    if is_xbd_label(path):
        return read_xbd_label(path)
    if is_instance_mask(path):
        return read_instance_mask(path, options, load_class_map("isaid"))
    if path.suffix.lower() in MASK_PICTURES:
        if options.class_map is None:
            raise LabelFormatError(
                path, None, "a class mask needs --class-map (floodnet, xbd, a TOML file)"
            )
        return read_class_mask(path, options)
    return read_label_file(path)


def is_label_file(path: Path, options: MaskOptions) -> bool:
    if path.name == RUN_FILE or path.name.endswith("_instance_color_RGB.png"):
        return False
    if path.suffix.lower() in MASK_PICTURES:
        return options.class_map is not None or is_instance_mask(path)
    return path.suffix.lower() in LABEL_SUFFIXES


def describe(files: list[Path], options: MaskOptions) -> str:
    """What the files are, for the run's record."""
    kinds = set()
    for path in files:
        if is_detection_file(path):
            kinds.add("DOTA Task1 detections")
        elif is_xbd_label(path):
            kinds.add("xBD label files")
        elif is_box_table(path):
            kinds.add("tables of boxes")
        elif is_instance_mask(path):
            kinds.add("iSAID instance masks")
        elif path.suffix.lower() in MASK_PICTURES:
            kinds.add(f"class masks ({options.class_map.name if options.class_map else '?'})")
        else:
            kinds.add("DOTA labelTxt annotations")
    return ", ".join(sorted(kinds)) or "DOTA labelTxt annotations"
