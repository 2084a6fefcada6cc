"""Linked data: data IRIs that dereference (/data/...), the dataset's VoID (/void), the whole graph
(/export) and the ontology (/ontology)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from ..endpoint import GRAPH_TYPES
from ..endpoint.describe import DATASET, graph_description, void_description
from ..kg.pictures import picture_paths
from ..vocab import DATA_NS, ONTOLOGY_FILE, PREFIXES, RUNE
from ..vocab.ontology import FOAF
from .http import base_url, choose, href, rdf_response
from .runtime import runtime

bp = Blueprint("linked", __name__)

# The resource's own triples, those of the nodes it owns (geometry, class counts, a run's class
# mappings), and the links
# into it but provenance (a detection run generated every one of its entities).
_DESCRIBE = """
CONSTRUCT { ?r ?p ?o . ?o ?p2 ?o2 . ?s ?q ?r } WHERE {
  { ?r ?p ?o
    OPTIONAL { ?o ?p2 ?o2 FILTER(?p IN (geo:hasGeometry, rune:classCount, rune:classMapping)) } }
  UNION { ?s ?q ?r FILTER(?q != prov:wasGeneratedBy) }
}"""
EXPORT_TYPES = {"application/n-quads": ox.RdfFormat.N_QUADS, "text/turtle": ox.RdfFormat.TURTLE}
EXPORT_NAMES = {"nquads": "application/n-quads", "turtle": "text/turtle"}
_BATCH = 20_000


def short(term) -> str:
    """A term as a reader wants it: prefixed name, literal value, or full IRI."""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace) and prefix != "rdf":
                return f"{prefix}:{term.value[len(namespace) :]}"
        return "a" if term.value == PREFIXES["rdf"] + "type" else term.value
    return term.value


def is_iri(term) -> bool:
    return isinstance(term, ox.NamedNode)


@bp.route("/data/<path:rest>")
def resource(rest: str):
    try:
        iri = ox.NamedNode(DATA_NS + rest)
    except ValueError:
        abort(404)
    store = runtime().store
    if iri == DATASET:
        return void()
    triples = list(store.query(_DESCRIBE, substitutions={ox.Variable("r"): iri}))
    triples = triples or graph_description(store, iri, base_url())  # a named graph's name
    if not triples:
        abort(404, f"nothing is known about <{iri.value}>")
    image_id = next(
        (t.object.value for t in triples if t.subject == iri and t.predicate == RUNE.imageId), None
    )
    if image_id in picture_paths(store):  # the picture by its URL here, never by its path
        url = ox.NamedNode(f"{base_url()}images/{image_id}.png")
        triples.append(ox.Triple(iri, ox.NamedNode(FOAF + "depiction"), url))
    media_type = choose([*GRAPH_TYPES, "text/html"])
    if media_type is None:
        abort(406, f"this resource is served as text/html, {', '.join(GRAPH_TYPES)}")
    if media_type != "text/html":
        return rdf_response(triples, media_type)
    own = sorted(
        (t for t in triples if t.subject == iri), key=lambda t: (short(t.predicate), str(t.object))
    )
    owned = {
        t.object
        for t in own
        if t.predicate.value.endswith(("hasGeometry", "classCount", "classMapping"))
    }
    details = {node: [t for t in triples if t.subject == node] for node in owned}
    incoming = sorted(
        (t for t in triples if t.object == iri), key=lambda t: (short(t.predicate), t.subject.value)
    )
    return Response(
        render_template(
            "resource.html",
            iri=iri,
            own=own,
            details=details,
            incoming=incoming,
            image_id=image_id,
            short=short,
            href=href,
            is_iri=is_iri,
        ),
        headers={"Vary": "Accept"},
    )


@bp.route("/void")
def void():
    media_type = choose(list(GRAPH_TYPES))
    if media_type is None:
        abort(406, f"VoID is served as {', '.join(GRAPH_TYPES)}")
    rt = runtime()
    key = (rt.store.revision, base_url())
    if rt.void is None or rt.void[0] != key:  # counted once per revision of the store
        rt.void = (key, void_description(rt.store, base_url()))
    return rdf_response(rt.void[1], media_type)


@bp.route("/export")
def export():
    """The whole store, streamed: N-Quads (named graphs kept) or Turtle (their union)."""
    name = request.args.get("format")
    if name is not None and name not in EXPORT_NAMES:
        abort(400, f"format must be one of {', '.join(EXPORT_NAMES)}")
    media_type = EXPORT_NAMES[name] if name else choose(list(EXPORT_TYPES))
    if media_type is None:
        abort(406, f"the export is served as {', '.join(EXPORT_TYPES)}")
    fmt = EXPORT_TYPES[media_type]
    quads = runtime().store.quads()

    def chunks():
        batch = []
        for quad in quads:
            batch.append(quad if fmt == ox.RdfFormat.N_QUADS else quad.triple)
            if len(batch) == _BATCH:
                yield ox.serialize(batch, format=fmt)
                batch = []
        if batch:
            yield ox.serialize(batch, format=fmt)

    extension = "nq" if fmt == ox.RdfFormat.N_QUADS else "ttl"
    return Response(
        stream_with_context(chunks()),
        mimetype=fmt.media_type,
        headers={"Content-Disposition": f"attachment; filename=rune-kg.{extension}"},
    )


@bp.route("/ontology")
def ontology():
    return Response(ONTOLOGY_FILE.read_bytes(), mimetype="text/turtle")
