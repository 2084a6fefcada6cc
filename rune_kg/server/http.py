"""Helpers the blueprints share: CORS headers, the server's base URL, local links for data IRIs,
content negotiation and RDF responses."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox
from flask import Response, current_app, request

from ..endpoint import GRAPH_TYPES
from ..vocab import DATA_NS, PREFIXES


def cors(response: Response) -> Response:
    """Let pages from the configured origin read the response (every route: the app registers
    it)."""
    response.headers["Access-Control-Allow-Origin"] = current_app.config["CORS_ORIGIN"]
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    return response


def base_url() -> str:
    """The public URL of the server, ending with '/'."""
    configured = current_app.config["BASE_URL"]
    return configured.rstrip("/") + "/" if configured else request.host_url


def href(iri: str) -> str:
    """Where this server serves a data IRI (https://w3id.org/rune-kg/data/... -> <base>data/...)."""
    return base_url() + "data/" + iri[len(DATA_NS) :] if iri.startswith(DATA_NS) else iri


def choose(offers: Sequence[str]) -> str | None:
    """The offer the request's Accept header prefers (q-values honoured); the first offer when the
    request has no Accept header; None when it accepts none of them."""
    if not request.accept_mimetypes:
        return offers[0]
    return request.accept_mimetypes.best_match(offers)


def rdf_response(triples, media_type: str, status: int = 200) -> Response:
    """Triples (or quads, for N-Quads) serialized as `media_type`, a GRAPH_TYPES key or N-Quads."""
    fmt = GRAPH_TYPES.get(media_type) or ox.RdfFormat.from_media_type(media_type)
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    body = (
        ox.serialize(triples, format=fmt, prefixes=prefixes)
        if prefixes
        else ox.serialize(triples, format=fmt)
    )
    return Response(body, status=status, mimetype=fmt.media_type, headers={"Vary": "Accept"})
