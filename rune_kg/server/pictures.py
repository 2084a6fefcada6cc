"""/images/<id>.png: an image's picture (?boxes=1: with every entity outlined; ?size=N: at most N
pixels a side); /images/<id>/explain.png?q=...|fol=...: the answer's witness drawn on it."""

from __future__ import annotations

import io

from flask import Blueprint, Response, request, send_file

from ..ask import ask
from ..errors import BadRequest
from ..kg.iris import check_id
from ..query.explain import entities_of, picture_file, render
from .runtime import runtime

bp = Blueprint("pictures", __name__, url_prefix="/images")
MAX_SIZE = 8192


def _size() -> int | None:
    value = request.args.get("size")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 16 <= int(value) <= MAX_SIZE:
        raise BadRequest(f"size must be a number of pixels from 16 to {MAX_SIZE}")
    return int(value)


def _png(image) -> Response:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # fast: these are drawn per request
    return Response(out.getvalue(), mimetype="image/png", headers={"Cache-Control": "max-age=60"})


def _picture(image_id: str):
    check_id(image_id, "image id")
    return picture_file(runtime().store, image_id)


@bp.route("/<image_id>.png")
def picture(image_id: str):
    path = _picture(image_id)
    boxes = (
        entities_of(runtime().store, image_id) if request.args.get("boxes") in ("1", "true") else []
    )
    size = _size()
    if not boxes and size is None and path.suffix.lower() == ".png" and path.is_file():
        return send_file(path, mimetype="image/png", max_age=3600)
    return _png(render(path, others=boxes, max_size=size))


@bp.route("/<image_id>/explain.png")
def explain(image_id: str):
    path = _picture(image_id)
    args = request.args
    rt = runtime()
    source = args.get("source") or None
    found = ask(
        rt.store,
        args.get("q") or None,
        args.get("fol") or None,
        translator="embedded",
        mode=args.get("mode", "scored"),
        tnorm=args.get("tnorm", "product"),
        source=source,
        image=image_id,
        limit=1,
    )
    result = found.answer.results[0] if found.answer.results else None
    others = entities_of(rt.store, image_id, result.source if result else source)
    caption = [] if result else [f"{image_id} does not satisfy", found.answer.fol]
    return _png(render(path, result, others, caption, max_size=_size()))
