"""RDFS entailment written as triples (`rune geo materialise --rdfs`).

Oxigraph answers queries on the triples as stored. GeoSPARQL's RDFS entailment extension asks
more: `?f a geo:Feature` must find the instances of a subclass of geo:Feature, and
`?f geo:hasGeometry ?g` the pairs of a sub-property. Here the RDFS rules for sub-properties,
domains, ranges and subclasses (rdfs2, 3, 5, 7, 9, 11) are applied once, in three updates: the
schema (rdfs:subPropertyOf, rdfs:subClassOf, rdfs:domain, rdfs:range triples anywhere in the
store, plus GeoSPARQL 1.0's own axioms for its core properties) is closed in Python, and each
entailed triple is written in the named graph of the triple it follows from.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from ..vocab import GEO, PREFIXES
from .store import KnowledgeGraph

RDFS = PREFIXES["rdfs"]

_SCHEMA = """SELECT ?s ?p ?o WHERE {
  VALUES ?p { rdfs:subPropertyOf rdfs:subClassOf rdfs:domain rdfs:range } ?s ?p ?o }"""
# GeoSPARQL 1.0's axioms for the properties a feature's geometry hangs on.
GEOSPARQL_AXIOMS = [
    (GEO + "hasDefaultGeometry", RDFS + "subPropertyOf", GEO + "hasGeometry"),
    (GEO + "hasGeometry", RDFS + "domain", GEO + "Feature"),
    (GEO + "hasGeometry", RDFS + "range", GEO + "Geometry"),
    (GEO + "Feature", RDFS + "subClassOf", GEO + "SpatialObject"),
    (GEO + "Geometry", RDFS + "subClassOf", GEO + "SpatialObject"),
]
_SUB_PROPERTIES = """INSERT { GRAPH ?g { ?s ?super ?o } }
WHERE { VALUES (?p ?super) { %s } GRAPH ?g { ?s ?p ?o } }"""
_DOMAINS_AND_RANGES = """INSERT { GRAPH ?g { ?s a ?domain . ?o a ?range } }
WHERE { VALUES (?p ?domain ?range) { %s } GRAPH ?g { ?s ?p ?o } }"""
_SUBCLASSES = """INSERT { GRAPH ?g { ?s a ?super } }
WHERE { VALUES (?c ?super) { %s } GRAPH ?g { ?s a ?c } }"""


def entail(store: KnowledgeGraph) -> int:
    """Write the RDFS entailments of every named graph; returns how many triples the store
    grew by."""
    schema: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for s, p, o in GEOSPARQL_AXIOMS:
        schema[p].add((s, o))
    for row in store.query(_SCHEMA):
        if isinstance(row["s"], ox.NamedNode) and isinstance(row["o"], ox.NamedNode):
            schema[row["p"].value].add((row["s"].value, row["o"].value))
    before = len(store)
    super_properties = _closure(schema[RDFS + "subPropertyOf"])
    _update(store, _SUB_PROPERTIES, super_properties)
    typing = [(p, c, "UNDEF") for p, c in schema[RDFS + "domain"]]
    typing += [(p, "UNDEF", c) for p, c in schema[RDFS + "range"]]
    _update(store, _DOMAINS_AND_RANGES, typing)
    _update(store, _SUBCLASSES, _closure(schema[RDFS + "subClassOf"]))
    return len(store) - before


def _closure(pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The transitive closure of a relation, without its reflexive pairs."""
    above: dict[str, set[str]] = defaultdict(set)
    for sub, sup in pairs:
        above[sub].add(sup)
    closed = []
    for start in list(above):
        seen, stack = set(), list(above[start])
        while stack:
            node = stack.pop()
            if node not in seen and node != start:
                seen.add(node)
                stack.extend(above.get(node, ()))
        closed += [(start, node) for node in sorted(seen)]
    return closed


def _update(store: KnowledgeGraph, template: str, rows: list[tuple[str, ...]]) -> None:
    if rows:
        values = " ".join(
            "(" + " ".join(v if v == "UNDEF" else str(ox.NamedNode(v)) for v in row) + ")"
            for row in rows
        )
        store.update(template % values)
