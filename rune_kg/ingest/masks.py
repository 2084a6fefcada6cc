"""Segmentation masks -> polygon entities.

- A class-index mask (FloodNet's label PNGs, xBD's damage masks): every pixel's value is a class
  index, read through a class map (TOML: `background = [0]` and `[classes] 1 = "water"`;
  bundled: floodnet, xbd, see class_maps/). Each connected region of one class (4-connected
  pixels, traced along pixel edges by rasterio.features.shapes; holes kept) is one entity.
- An iSAID instance mask (`P0003_instance_id_RGB.png`): every instance has its own colour, id
  R + 256 G + 65536 B; its class is the colour of the class mask beside it
  (`P0003_instance_color_RGB.png`, through the isaid class map). All regions of one instance
  are one entity (a multipolygon when it has several parts).
Regions smaller than `min_area` square pixels are dropped; outlines are simplified by Douglas-
Peucker with `tolerance` pixels (0: the exact pixel staircase), topology kept. The image id is
the file's stem without a mask suffix (_lab, _b1, _mask, _instance_id_RGB).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LabelFormatError
from .classmaps import ClassMap
from .outlines import bounding_corners
from .records import DotaImage, DotaObject

MASK_SUFFIXES = ("_instance_id_RGB", "_lab", "_b1", "_mask")
INSTANCE_SUFFIX = "_instance_id_RGB"


@dataclass(frozen=True)
class MaskOptions:
    class_map: ClassMap | None = None  # for class-index masks
    min_area: float = 4.0  # square pixels
    tolerance: float = 0.5  # pixels


def image_id_of(path: Path) -> str:
    stem = path.stem
    return next((stem[: -len(s)] for s in MASK_SUFFIXES if stem.endswith(s)), stem)


def is_instance_mask(path: Path) -> bool:
    return path.stem.endswith(INSTANCE_SUFFIX)


def read_class_mask(path: Path, options: MaskOptions) -> DotaImage:
    """The regions of a class-index mask as entities (LabelFormatError for values the class
    map does not know)."""
    values = _pixels(path)
    if values.ndim != 2:
        raise LabelFormatError(path, None, f"a one-band class mask is expected, got {values.shape}")
    class_map = options.class_map
    found = {str(v) for v in np.unique(values).tolist()}
    unknown = sorted(found - set(class_map.classes) - class_map.background, key=int)
    if unknown:
        raise LabelFormatError(
            path, None, f"values {', '.join(unknown)} are not in the class map {class_map.name}"
        )
    regions = _regions(values.astype(np.int32), skip={int(v) for v in class_map.background})
    objects = []
    for value, parts in sorted(regions.items()):
        for part in parts:
            outline = _cleaned([part], options)
            if outline is not None:
                objects.append(_entity(class_map.classes[str(value)], outline))
    return _image(path, objects, values.shape)


def read_instance_mask(path: Path, options: MaskOptions, class_map: ClassMap) -> DotaImage:
    """The instances of an iSAID instance mask, classed by the colour mask beside it."""
    colours_path = path.with_name(path.name.replace(INSTANCE_SUFFIX, "_instance_color_RGB"))
    if not colours_path.is_file():
        raise LabelFormatError(path, None, f"no class colour mask beside it ({colours_path.name})")
    rgb, colours = _pixels(path), _pixels(colours_path)
    if rgb.ndim != 3 or rgb.shape != colours.shape:
        raise LabelFormatError(
            path, None, "an RGB instance mask the size of its colour mask is expected"
        )
    rgb = rgb.astype(np.int32)
    ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    regions = _regions(ids, skip={0})
    majority = _majority_colours(ids, colours)
    objects = []
    for instance, parts in sorted(regions.items()):
        colour = majority[instance]
        if colour in class_map.background:
            continue
        if colour not in class_map.classes:
            raise LabelFormatError(
                colours_path, f"instance {instance}", f"colour {colour} is not in {class_map.name}"
            )
        outline = _cleaned(parts, options)
        if outline is not None:
            objects.append(_entity(class_map.classes[colour], outline))
    return _image(path, objects, ids.shape)


def _majority_colours(ids: np.ndarray, colours: np.ndarray) -> dict[int, str]:
    """Instance id -> the "R,G,B" most of its pixels have in the colour mask (one pass)."""
    inside = ids > 0
    colours = colours.astype(np.int64)
    code = colours[..., 0] * 65536 + colours[..., 1] * 256 + colours[..., 2]
    keys, counts = np.unique(ids[inside].astype(np.int64) << 24 | code[inside], return_counts=True)
    best: dict[int, tuple[int, int]] = {}
    for key, count in zip(keys.tolist(), counts.tolist()):
        instance, colour = key >> 24, key & 0xFFFFFF
        if count > best.get(instance, (0, 0))[0]:
            best[instance] = (count, colour)
    return {i: f"{c >> 16},{(c >> 8) & 255},{c & 255}" for i, (_, c) in best.items()}


def _pixels(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            return np.asarray(picture)
    except (OSError, UnidentifiedImageError) as err:
        raise LabelFormatError(path, None, f"not a readable mask: {err}") from None


def _regions(values: np.ndarray, skip: set[int]) -> dict[int, list]:
    """value -> its connected regions as shapely polygons (pixel edges; holes kept)."""
    import shapely.geometry
    from rasterio.features import shapes

    found: dict[int, list] = {}
    for geometry, value in shapes(values, mask=~np.isin(values, list(skip)), connectivity=4):
        found.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
    return found


def _cleaned(parts: list, options: MaskOptions):
    """The parts (simplified, small ones dropped) as one polygon or multipolygon, or None."""
    import shapely

    kept = []
    for part in parts:
        if options.tolerance > 0:
            part = part.simplify(options.tolerance, preserve_topology=True)
        if part.area >= options.min_area and part.is_valid:
            kept.append(part)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


def _entity(class_name: str, outline) -> DotaObject:
    return DotaObject(class_name, bounding_corners(outline), outline=outline)


def _image(path: Path, objects: list[DotaObject], shape: tuple) -> DotaImage:
    return DotaImage(
        image_id=image_id_of(path),
        source_file=str(path),
        objects=tuple(objects),
        size=(int(shape[1]), int(shape[0])),
    )
