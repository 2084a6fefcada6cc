"""xBD label files (Gupta et al. 2019, the xView2 challenge): building polygons with a damage
level, before and after a disaster.

A label JSON (`hurricane-florence_00000318_post_disaster.json`) gives `features.xy`: WKT
polygons in pixels, each with `properties.subtype`, the damage level (no-damage, minor-damage,
major-damage, destroyed, un-classified; none before the event); `features.lng_lat`: the same
polygons in longitude/latitude; and `metadata`: disaster, disaster_type, capture_date, sensor,
gsd ... Each building becomes a polygon entity of the class whose rune:xbdDamage is its level
(a building when it has none or is un-classified), its lng/lat polygon its CRS84 geometry. The
image is placed on Earth by the affine map that carries the pixel polygons onto the lng/lat
ones (a least-squares fit over every vertex), is linked to its event and phase, and to the
image of the same place on the other side of the event.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import LabelFormatError
from ..vocab import ONTOLOGY
from .georef import Georeference
from .outlines import bounding_corners, checked_outline
from .records import DotaImage, DotaObject, EventImage

PHASES = {"_pre_disaster": "pre", "_post_disaster": "post"}
_TILE = re.compile(r"^(.+)_\d+_(pre|post)_disaster$")  # hurricane-florence_00000318_pre_disaster


def damage_classes() -> dict[str, str]:
    """xBD damage level -> class name, from the ontology's rune:xbdDamage annotations."""
    found = {}
    for cls in ONTOLOGY.classes.values():
        level = ONTOLOGY.annotation(cls.iri, "xbdDamage")
        if level is not None:
            found[level] = cls.name
    return found


def is_xbd_label(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def read_xbd_label(path: Path) -> DotaImage:
    """The buildings of one xBD label file (LabelFormatError naming the file, and the feature,
    for a file that is not one or a polygon that does not close or crosses itself)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise LabelFormatError(path, None, f"not an xBD label file: {err}") from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, dict) or not isinstance(features.get("xy"), list):
        raise LabelFormatError(path, None, "no `features` with `xy` polygons: not an xBD label")
    metadata = document.get("metadata") or {}
    levels = damage_classes()
    world = {
        f.get("properties", {}).get("uid"): f.get("wkt") for f in features.get("lng_lat") or []
    }
    objects, pixels, degrees = [], [], []
    for k, feature in enumerate(features["xy"]):
        properties = feature.get("properties") or {}
        where = f"feature {k}" + (f" ({properties['uid']})" if properties.get("uid") else "")
        if properties.get("feature_type", "building") != "building":
            continue
        level = properties.get("subtype")
        if level is not None and level != "un-classified" and level not in levels:
            raise LabelFormatError(path, where, f"unknown damage level {level!r}")
        outline = checked_outline(feature.get("wkt") or "", path, where)
        lng_lat = world.get(properties.get("uid"))
        lng_lat = checked_outline(lng_lat, path, where + " lng_lat") if lng_lat else None
        objects.append(
            DotaObject(
                levels.get(level, "building"),
                bounding_corners(outline),
                outline=outline,
                world=lng_lat,
            )
        )
        if lng_lat is not None and _vertices(lng_lat).shape == _vertices(outline).shape:
            pixels.append(_vertices(outline))
            degrees.append(_vertices(lng_lat))
    gsd = metadata.get("gsd")
    return DotaImage(
        image_id=path.stem,
        source_file=str(path),
        objects=tuple(objects),
        gsd=float(gsd) if isinstance(gsd, int | float) else None,
        georeference=_fit(np.concatenate(pixels), np.concatenate(degrees)) if pixels else None,
        event=event_of(path.stem, metadata),
        facts=_facts(metadata),
        size=_size(metadata),
    )


def _size(metadata: dict) -> tuple[int, int] | None:
    width, height = metadata.get("width"), metadata.get("height")
    return (width, height) if isinstance(width, int) and isinstance(height, int) else None


def _vertices(geometry) -> np.ndarray:
    import shapely

    return shapely.get_coordinates(geometry)


def _fit(pixels: np.ndarray, degrees: np.ndarray) -> Georeference | None:
    """The affine map pixel -> (longitude, latitude) that fits the vertex pairs best (None for
    fewer than 3 points, or points on one line)."""
    design = np.column_stack([pixels, np.ones(len(pixels))])
    if len(pixels) < 3 or np.linalg.matrix_rank(design) < 3:
        return None
    (a, d), (b, e), (c, f) = np.linalg.lstsq(design, degrees, rcond=None)[0]
    return Georeference((a, b, c, d, e, f), "OGC:CRS84", None)


def event_of(image_id: str, metadata: dict | None = None) -> EventImage | None:
    """The event of an xBD tile, from its id (hurricane-florence_00000318_post_disaster) and its
    label's metadata when there is one; None for an id that is not an xBD tile's."""
    metadata = metadata or {}
    phase = next((p for suffix, p in PHASES.items() if image_id.endswith(suffix)), None)
    match = _TILE.match(image_id)
    disaster = metadata.get("disaster") or (match.group(1) if match else None)
    if not disaster or phase is None:
        return None
    other = "_post_disaster" if phase == "pre" else "_pre_disaster"
    counterpart = image_id.rsplit("_", 2)[0] + other
    return EventImage(disaster, metadata.get("disaster_type"), phase, counterpart)


def _facts(metadata: dict) -> tuple:
    facts = []
    if isinstance(metadata.get("sensor"), str):
        facts.append(("sensor", metadata["sensor"]))
    try:
        taken = datetime.fromisoformat(metadata["capture_date"].replace("Z", "+00:00"))
        facts.append(("captureDate", taken))
    except (KeyError, AttributeError, ValueError):
        pass
    return tuple(facts)
