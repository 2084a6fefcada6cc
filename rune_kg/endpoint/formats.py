"""The media types the endpoint speaks, in order of preference (the first is the default)."""

from __future__ import annotations

import pyoxigraph as ox

# SELECT and ASK results; aliases that clients send map to the registered type.
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}

# CONSTRUCT and DESCRIBE results, and every RDF document the server writes.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def canonical_type(media_type: str) -> str:
    """The registered media type written for a format chosen through an alias."""
    if media_type in RESULT_TYPES:
        return RESULT_TYPES[media_type].media_type
    return GRAPH_TYPES[media_type].media_type
