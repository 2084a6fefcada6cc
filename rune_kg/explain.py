"""Drawing an explanation: a result's witness boxes and labels on its picture (Pillow)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from PIL import Image, ImageDraw, ImageFont

from .graph import polygon_corners
from .query.engine import Result
from .store import Store

COLOURS = ["#ff1f5b", "#00cd6c", "#009ade", "#ffc61e", "#af58ba", "#f28522", "#a0b1ba", "#a6761d"]
_PICTURE = "SELECT ?image ?file WHERE { ?image rune:imageFile ?file }"


class ExplainError(RuntimeError):
    """The picture is unknown or cannot be read or written."""


def picture_of(store: Store, result: Result) -> Path:
    """The picture file recorded for the result's image (ingest --images)."""
    rows = list(store.query(_PICTURE, substitutions={ox.Variable("image"): ox.NamedNode(result.image_iri)}))
    if not rows:
        raise ExplainError(f"no picture file is known for {result.image}: ingest with --images DIR, or pass --picture")
    return Path(rows[0]["file"].value)


def draw(result: Result, picture: Path, out: Path) -> Path:
    """Write `out`: the picture with each witness box outlined and labelled, variable by variable,
    and the facts that held listed in the corner."""
    try:
        image = Image.open(picture).convert("RGB")
    except OSError as err:
        raise ExplainError(f"cannot read picture {picture}: {err}") from err
    pen = ImageDraw.Draw(image)
    width = max(2, round(max(image.size) / 400))
    font = ImageFont.load_default(size=max(12, round(max(image.size) / 60)))
    colour = {}
    for i, w in enumerate(result.witness):
        colour[w.variable] = COLOURS[i % len(COLOURS)]
        box = polygon_corners(w.wkt)
        pen.polygon(box, outline=colour[w.variable], width=width)
        x, y = min(p[0] for p in box), min(p[1] for p in box)
        label = f"{w.variable}: {w.class_name} {w.confidence:.2f}"
        left, top, right, bottom = pen.textbbox((x, y), label, font=font, anchor="lb")
        pen.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=colour[w.variable])
        pen.text((x, y), label, fill="black", font=font, anchor="lb")
    lines = [f"{result.image}  score {result.score:.3f}"]
    lines += [f"{f.predicate}({', '.join(f.args)})" for f in result.facts] + result.conditions
    pen.multiline_text((10, 10), "\n".join(lines), fill="white", font=font, stroke_width=2, stroke_fill="black")
    try:
        image.save(out)
    except (OSError, ValueError) as err:
        raise ExplainError(f"cannot write {out}: {err}") from err
    return out
