"""The records that ingest's readers produce and its writer consumes (the detector produces
them too): images with their objects, the run that produced them, picture files, failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


@dataclass(frozen=True)
class DotaObject:
    """One object: its ontology class name, 4 corners (x1, y1, ..., x4, y4), confidence and
    difficulty; or, for a polygon entity (a mask's, an xBD label's), its `outline` (a shapely
    polygon or multipolygon in pixels; `corners` are then its bounding box) and the `world`
    outline in CRS84 when the source gives one."""

    class_name: str
    corners: tuple[float, ...]
    confidence: float = 1.0
    difficult: int = 0
    outline: object = None
    world: object = None
    derived_from: str | None = None  # the IRI of what it was made from (a layer's feature)


@dataclass(frozen=True)
class EventImage:
    """An image's place in a disaster: the event (xBD: hurricane-florence, of type flooding),
    taken before ("pre") or after ("post") it, and the image of the same place on the other
    side of the event."""

    event: str
    disaster_type: str | None
    phase: str  # pre or post
    counterpart: str | None  # image id


@dataclass(frozen=True)
class DotaImage:
    """The objects of one image, as read from one file (or gathered from detection files)."""

    image_id: str
    source_file: str
    objects: tuple[DotaObject, ...]
    image_source: str | None = None
    gsd: float | None = None
    georeference: object = None  # a georef.Georeference the source gives (an xBD label's)
    event: EventImage | None = None  # the disaster it was taken before or after
    facts: tuple[tuple[str, str | float | datetime], ...] = ()  # (rune: local name, value)
    size: tuple[int, int] | None = None  # width, height in pixels, when the labels give it


@dataclass(frozen=True)
class Picture:
    """The picture file of an image, when known."""

    path: str
    width: int
    height: int
    georeference: object = None  # a georef.Georeference, for a GeoTIFF that has one


@dataclass(frozen=True)
class RunInfo:
    """What produced a set of entities: the --source name and a description of the detector."""

    source: str
    detector: str
    started: datetime
    ended: datetime | None = None
    extra: tuple[tuple[str, str | float | int], ...] = ()  # (rune: property local name, value)
    class_map: tuple[tuple[str, str], ...] = ()  # (model class name, ontology class name)


@dataclass(frozen=True)
class Failure:
    """A file (or picture) that could not be read, and why; the rest goes on without it."""

    file: str
    reason: str
