"""Places in the answers (knowledge augmentation, after RS-RAG): the named features of a
gazetteer that a georeferenced result's footprint intersects.

A gazetteer is any set of features with a CRS84 geometry (geo:hasDefaultGeometry/geo:asWKT)
and a name (rdfs:label): a layer in the same store (`"store"`, e.g. `rune load airports.geojson
--label name`), or a SPARQL endpoint, reached with SERVICE from the store (the server's
SERVICE_ALLOW must list it). One query per answer: the footprints as VALUES of terms escaped by
pyoxigraph, the features intersected with Oxigraph's geof:sfIntersects.
Entry: `with_places(store, results, gazetteer) -> results`; error type: QueryError.
"""

from __future__ import annotations

from dataclasses import replace

import pyoxigraph as ox

from ..errors import QueryError
from ..kg import KnowledgeGraph
from ..vocab import GEO
from .engine import Place, Result

STORE = "store"  # the gazetteer is in the queried store itself
_FEATURES = "?feature geo:hasDefaultGeometry/geo:asWKT ?area ; rdfs:label ?name ."
_QUERY = """SELECT ?image ?feature ?name WHERE {{
  VALUES (?image ?footprint) {{ {footprints} }}
  {features}
  FILTER(geof:sfIntersects(?area, ?footprint))
}} ORDER BY ?image ?name"""


def with_places(
    store: KnowledgeGraph, results: list[Result], gazetteer: str | None
) -> list[Result]:
    """The results, each georeferenced one with the gazetteer's places its footprint meets."""
    placed = [r for r in results if r.place]
    if gazetteer is None or not placed:
        return results
    wkt = ox.NamedNode(GEO + "wktLiteral")
    footprints = " ".join(
        f"({ox.NamedNode(r.image_iri)} {ox.Literal(r.place, datatype=wkt)})" for r in placed
    )
    if gazetteer == STORE:
        features = _FEATURES
    elif gazetteer.startswith(("http://", "https://")):
        features = f"SERVICE {ox.NamedNode(gazetteer)} {{ {_FEATURES} }}"
    else:
        raise QueryError(f"gazetteer: {STORE!r} or a SPARQL endpoint's URL, got {gazetteer!r}")
    try:
        rows = store.query(_QUERY.format(footprints=footprints, features=features))
        found: dict[str, list[Place]] = {}
        for row in rows:
            place = Place(row["name"].value, row["feature"].value)
            if place not in found.setdefault(row["image"].value, []):
                found[row["image"].value].append(place)
    except (OSError, RuntimeError) as err:
        raise QueryError(f"gazetteer {gazetteer}: {err}") from None
    return [replace(r, places=found.get(r.image_iri, [])) if r.place else r for r in results]
