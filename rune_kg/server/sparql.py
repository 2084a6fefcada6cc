"""/sparql: the SPARQL 1.1 Protocol (query by GET and POST, updates with a token) and the service
description (GET without a query)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from ..endpoint import GRAPH_TYPES, RESULT_TYPES, SparqlRequest, check_request
from ..endpoint.describe import service_description
from ..errors import (
    BadRequest,
    Forbidden,
    NotAcceptable,
    UnsupportedMediaType,
)
from .http import base_url, choose, rdf_response
from .runtime import runtime

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"give the '{name}' parameter once, not {len(values)} times")
    return values[0] if values else None


def _operation() -> tuple[str | None, str | None]:
    """(query, update) of the request; at most one of them."""
    if request.method in ("GET", "HEAD"):
        if "update" in request.args:
            raise BadRequest(
                "updates are POSTed (application/sparql-update, or a form with 'update')"
            )
        return _one(request.args.getlist("query"), "query"), None
    kind = request.mimetype
    if kind == FORM:
        query, update = (
            _one(request.form.getlist("query"), "query"),
            _one(request.form.getlist("update"), "update"),
        )
        if query is not None and update is not None:
            raise BadRequest("give 'query' or 'update', not both")
        if query is None and update is None:
            raise BadRequest("the form has neither 'query' nor 'update'")
        return query, update
    if kind in (QUERY_BODY, UPDATE_BODY):
        if "query" in request.args or "update" in request.args:
            raise BadRequest(f"a {kind} request carries the operation in its body, not in the URL")
        charset = request.mimetype_params.get("charset", "utf-8")
        if charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"SPARQL bodies are UTF-8, not {charset}")
        try:
            text = request.get_data().decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadRequest(f"the body is not UTF-8: {err}") from None
        return (text, None) if kind == QUERY_BODY else (None, text)
    raise UnsupportedMediaType(
        f"POST takes {FORM}, {QUERY_BODY} or {UPDATE_BODY}, not {kind or 'no Content-Type'}"
    )


def _graphs(name: str) -> tuple[str, ...]:
    """The IRIs of a dataset parameter, from the URL and, for a form, its body too."""
    values = request.args.getlist(name)
    if request.mimetype == FORM:
        values += request.form.getlist(name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise BadRequest(f"{name} must be an absolute IRI, got {value!r}") from None
    return tuple(values)


@bp.route("/sparql", methods=["GET", "POST"])
@bp.route("/sparql/", methods=["GET", "POST"])
def endpoint():
    query, update = _operation()
    if query is None and update is None:
        media_type = choose(list(GRAPH_TYPES))
        if media_type is None:
            raise NotAcceptable(f"the service description is RDF: {', '.join(GRAPH_TYPES)}")
        allowed = current_app.config["SERVICE_ALLOW"]
        return rdf_response(
            service_description(
                base_url() + "sparql",
                runtime().update_token is not None,
                bool(allowed),
                union=runtime().union,
            ),
            media_type,
        )
    check_request(query if query is not None else update, current_app.config["SERVICE_ALLOW"])
    if update is not None:
        return _update(update)
    result_type, graph_type = choose(list(RESULT_TYPES)), choose(list(GRAPH_TYPES))
    if result_type is None and graph_type is None:
        raise NotAcceptable(
            f"results are {', '.join(RESULT_TYPES)} (SELECT, ASK) or "
            f"{', '.join(GRAPH_TYPES)} (CONSTRUCT, DESCRIBE)"
        )
    answer = runtime().pool.run(
        SparqlRequest(
            query,
            result_type,
            graph_type,
            default_graphs=_graphs("default-graph-uri"),
            named_graphs=_graphs("named-graph-uri"),
            base_iri=base_url() + "sparql",
            union=runtime().union,
        )
    )
    return Response(
        answer.body,
        content_type=answer.media_type,
        headers={"Vary": "Accept", "Server-Timing": f"query;dur={answer.seconds * 1000:.1f}"},
    )


def _update(text: str) -> Response:
    rt = runtime()
    if not rt.may_update(request.headers.get("Authorization")):
        raise Forbidden(
            "updates need the server's update token (Authorization: Bearer <token>)"
            if rt.update_token
            else "this server takes no updates (start it with an update token)"
        )
    rt.update(
        text,
        using=_graphs("using-graph-uri"),
        using_named=_graphs("using-named-graph-uri"),
        base_iri=base_url() + "sparql",
    )
    return Response(status=204)
