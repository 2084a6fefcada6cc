"""Drawing an explanation: a result's witness boxes and labels on its picture, the image's other
entities outlined faintly (Pillow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from PIL import Image, ImageDraw, ImageFont

from ..errors import ExplainError
from ..kg import KnowledgeGraph, iris
from ..kg.index import CLASSES, load_index
from ..kg.pictures import picture_paths
from ..kg.wkt import outline_rings
from .engine import Result

COLOURS = ["#ff1f5b", "#00cd6c", "#009ade", "#ffc61e", "#af58ba", "#f28522", "#a0b1ba", "#a6761d"]
OTHER = "#e8e8e8"


_LEGACY = "SELECT ?image ?file WHERE { ?image rune:imageFile ?file }"


@dataclass(frozen=True)
class Box:
    """An entity to draw: its rings in image pixels (a box's 4 corners; a polygon outline's
    rings, holes and parts included)."""

    class_name: str
    confidence: float
    rings: list[list[tuple[float, float]]]


def picture_file(store: KnowledgeGraph, image_id: str) -> Path:
    """The picture file recorded for the image (ingest --images). Stores ingested before the
    paths were kept beside them hold the absolute path in the graph: it is used when found."""
    path = picture_paths(store).get(image_id)
    if path is None:
        rows = store.query(_LEGACY, substitutions={ox.Variable("image"): iris.image_iri(image_id)})
        legacy = [Path(r["file"].value) for r in rows]
        path = next((p for p in legacy if p.is_absolute() and p.is_file()), None)
    if path is None:
        raise ExplainError(
            f"no picture file is known for {image_id} (it was ingested without its pictures)"
        )
    return Path(path)


def picture_of(store: KnowledgeGraph, result: Result) -> Path:
    return picture_file(store, result.image)


def entities_of(store: KnowledgeGraph, image_id: str, source: str | None = None) -> list[Box]:
    """Every entity of the image (of one source, or of all), from the store's index."""
    index = load_index(store, progress=False)
    boxes = []
    for w in range(index.worlds):
        if index.image_id[w] == image_id and (source is None or index.source[w] == source):
            start = int(index.offsets[w])
            outlines = (
                _outlines(store, index, w)
                if index.polygon[start : index.offsets[w + 1]].any()
                else {}
            )
            for row in range(start, int(index.offsets[w + 1])):
                rings = outlines.get(row - start) or [
                    [tuple(p) for p in index.corners[row].reshape(4, 2).tolist()]
                ]
                boxes.append(Box(CLASSES[index.cls[row]], float(index.conf[row]), rings))
    return boxes


_GRAPH_OUTLINES = """SELECT ?g ?e ?wkt WHERE { GRAPH ?g { ?e rune:isPolygon true ;
  geo:hasGeometry/geo:asWKT ?wkt } }"""


def _outlines(store: KnowledgeGraph, index, w: int) -> dict[int, list]:
    """Entity number -> rings, for the polygon entities of world w (read from its graph)."""
    graph = iris.image_graph(*index.world_key(w))
    rows = store.query(_GRAPH_OUTLINES, substitutions={ox.Variable("g"): graph})
    return {int(r["e"].value.rsplit("/", 1)[1]): outline_rings(r["wkt"].value) for r in rows}


def render(
    picture: Path,
    result: Result | None = None,
    others: list[Box] = (),
    caption: list[str] = (),
    max_size: int | None = None,
) -> Image.Image:
    """The picture (scaled to at most `max_size` pixels a side) with `others` outlined thinly, then
    each witness box of `result` outlined and labelled with its variable, class and confidence,
    and a caption: the score and the facts that held, or `caption`."""
    image = _rgb(picture)
    scale = 1.0
    if max_size and max(image.size) > max_size:
        scale = max_size / max(image.size)
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        )
    pen = ImageDraw.Draw(image)
    width = max(2, round(max(image.size) / 400))
    font = ImageFont.load_default(size=max(12, round(max(image.size) / 60)))

    def scaled(corners):
        return [(x * scale, y * scale) for x, y in corners]

    for box in others:
        for ring in box.rings:
            pen.polygon(scaled(ring), outline=OTHER, width=max(1, width // 2))
    lines = list(caption)
    if result is not None:
        for i, w in enumerate(result.witness):
            colour = COLOURS[i % len(COLOURS)]
            rings = [scaled(ring) for ring in outline_rings(w.wkt)]
            for ring in rings:
                pen.polygon(ring, outline=colour, width=width)
            box = rings[0]
            label = f"{w.variable}: {w.class_name} {w.confidence:.2f}"
            label_width = pen.textlength(label, font=font)
            x = min(
                max(min(p[0] for p in box), 2), image.width - label_width - 2
            )  # kept inside the picture
            y = max(min(p[1] for p in box), font.size + 4)
            left, top, right, bottom = pen.textbbox((x, y), label, font=font, anchor="lb")
            pen.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=colour)
            pen.text((x, y), label, fill="black", font=font, anchor="lb")
        lines = [f"{result.image}  score {result.score:.3f}"]
        lines += [f"{f.predicate}({', '.join(f.args)})" for f in result.facts] + result.conditions
    if lines:
        pen.multiline_text(
            (10, 10), "\n".join(lines), fill="white", font=font, stroke_width=2, stroke_fill="black"
        )
    return image


def _rgb(picture: Path) -> Image.Image:
    """The picture as 8-bit RGB. A GeoTIFF Pillow cannot decode (16-bit, several bands, a
    compression it lacks) is read with rasterio, its first three bands (or one, as grey)
    stretched from their 2nd to their 98th percentile."""
    try:
        with Image.open(picture) as image:
            return image.convert("RGB")
    except (OSError, ValueError) as err:
        if picture.suffix.lower() not in (".tif", ".tiff"):
            raise ExplainError(f"cannot read picture {picture}: {err}") from err
    import numpy as np
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(picture) as dataset:
            bands = dataset.read(list(range(1, min(dataset.count, 3) + 1))).astype(np.float64)
    except RasterioIOError as err:
        raise ExplainError(f"cannot read picture {picture}: {err}") from err
    low, high = np.percentile(bands, (2, 98), axis=(1, 2), keepdims=True)
    scaled = np.clip((bands - low) / np.maximum(high - low, 1e-9) * 255, 0, 255).astype(np.uint8)
    if len(scaled) < 3:
        scaled = np.repeat(scaled[:1], 3, axis=0)
    return Image.fromarray(scaled.transpose(1, 2, 0))


def draw(result: Result, picture: Path, out: Path, others: list[Box] = ()) -> Path:
    """Write `out`: render(picture, result, others) in the format its suffix names."""
    image = render(picture, result, others)
    try:
        image.save(out)
    except (OSError, ValueError) as err:
        raise ExplainError(f"cannot write {out}: {err}") from err
    return out
