"""Reading the W3C SPARQL 1.1 test manifests (../shared/w3c/sparql/sparql11, see its
SOURCES.md) with pyoxigraph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

SUITE = Path(__file__).resolve().parents[2] / "shared" / "w3c" / "sparql" / "sparql11"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def manifest(path: Path) -> ox.Store:
    graph = ox.Store()
    graph.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())
    return graph


def objects(graph: ox.Store, subject, predicate: str) -> list:
    return [q.object for q in graph.quads_for_pattern(subject, ox.NamedNode(predicate), None)]


def one(graph: ox.Store, subject, predicate: str):
    """The single object of (subject, predicate), or None."""
    found = objects(graph, subject, predicate)
    return found[0] if found else None


def rdf_list(graph: ox.Store, head) -> list:
    items = []
    while head != ox.NamedNode(RDF + "nil"):
        items += objects(graph, head, RDF + "first")
        head = objects(graph, head, RDF + "rest")[0]
    return items


def path(node: ox.NamedNode) -> Path:
    return Path(node.value.removeprefix("file://"))
