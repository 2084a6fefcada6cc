"""/api/search: a question in English (q) or a formula (fol) -> ranked images as JSON, with the
formula, the clauses and their SPARQL, witnesses, links and timings."""

from __future__ import annotations

import time
from contextlib import nullcontext

from flask import Blueprint, current_app, jsonify, request, url_for

from ..ask import ask
from ..errors import ExplainError, QueryError
from ..query.explain import picture_file
from .http import href
from .runtime import runtime

bp = Blueprint("api", __name__, url_prefix="/api")


def _params() -> dict:
    """The request's parameters: the query string for GET, a JSON object or a form for POST."""
    if request.method == "GET":
        return request.args.to_dict()
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise QueryError(
                'the JSON body must be an object such as {"q": "a ship near a harbor"}'
            )
        return body
    return request.form.to_dict()


def _limit(value) -> int:
    config = current_app.config
    try:
        limit = int(value if value is not None else config["SEARCH_LIMIT"])
    except (TypeError, ValueError):
        raise QueryError(f"limit must be a whole number, got {value!r}") from None
    if not 1 <= limit <= config["SEARCH_MAX_LIMIT"]:
        raise QueryError(f"limit must be between 1 and {config['SEARCH_MAX_LIMIT']}, got {limit}")
    return limit


def links(image: str, source: str, fol: str, mode: str, tnorm: str) -> dict:
    """URLs of a result's picture and of its explanation drawn for the same formula (None when
    the store knows no picture file for the image)."""
    try:
        picture_file(runtime().store, image)
    except ExplainError:
        return {"picture": None, "explain": None}
    return {
        "picture": url_for("pictures.picture", image_id=image),
        "explain": url_for(
            "pictures.explain", image_id=image, source=source, fol=fol, mode=mode, tnorm=tnorm
        ),
    }


@bp.route("/search", methods=["GET", "POST"])
def search():
    started = time.perf_counter()
    params = _params()
    for name in ("q", "fol", "mode", "tnorm", "source"):
        if params.get(name) is not None and not isinstance(params[name], str):
            raise QueryError(f"{name} must be text, got {type(params[name]).__name__}")
    question, fol = params.get("q") or None, params.get("fol") or None
    rt = runtime()
    options = {
        "mode": params.get("mode", "scored"),
        "tnorm": params.get("tnorm", "product"),
        "limit": _limit(params.get("limit")),
        "source": params.get("source") or None,
    }
    may_use_llm = rt.translator != "embedded" and getattr(rt.translator, "has_llm", True)
    one_at_a_time = rt.translate_lock if may_use_llm and question is not None else nullcontext()
    with one_at_a_time:  # an LLM backend samples for one request at a time
        found = ask(
            rt.store,
            question,
            fol,
            translator=rt.translator,
            samples=int(current_app.config["LLM_SAMPLES"]),
            llm_seconds=float(current_app.config["LLM_SECONDS"]),
            seconds=float(current_app.config["QUERY_TIMEOUT"]),
            gazetteer=current_app.config["GAZETTEER"],
            **options,
        )
    data = found.to_json()
    data["clauses"] = [
        dict(clause, sparql=sparql) for clause, sparql in zip(data["clauses"], data.pop("sparql"))
    ]
    for result in data["results"]:
        result["href"] = href(result["image_iri"])
        result.update(
            links(result["image"], result["source"], data["fol"], data["mode"], data["tnorm"])
        )
        for w in result["witness"]:
            w["href"] = href(w["entity"])
    data["timing_ms"]["translate"] = found.translation.seconds * 1000 if found.translation else 0.0
    data["timing_ms"]["request"] = (time.perf_counter() - started) * 1000
    return jsonify(data)
