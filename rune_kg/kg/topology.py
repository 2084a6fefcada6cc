"""GeoSPARQL's topology vocabulary as triples (`rune geo materialise`).

GeoSPARQL 1.0 lets a query ask `?f geo:sfWithin ?g` between features and geometries (its query
rewrite extension). Oxigraph evaluates the relation functions (`geof:sfWithin(wkt, wkt)`) but
rewrites no triple pattern, so the relations are written as triples instead: for every two
geometries of the same named graph that have a CRS84 form (WKT or GML, in CRS84 or EPSG:4326,
read by geofunctions.crs84_wkt), each Simple Features, Egenhofer and RCC8 relation that
pyoxigraph's own function says holds, between the geometries and between the features whose
geo:hasDefaultGeometry they are (a feature is related as its default geometry is). Geometries
of different named graphs are not compared: the work is quadratic in the geometries of a graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..vocab import GEO, PREFIXES
from .geofunctions import GML_LITERAL, crs84_wkt
from .store import KnowledgeGraph

GEOF = PREFIXES["geof"]
FAMILIES = {
    "sf": (
        "Equals",
        "Disjoint",
        "Intersects",
        "Touches",
        "Crosses",
        "Within",
        "Contains",
        "Overlaps",
    ),
    "eh": ("Equals", "Disjoint", "Meet", "Overlap", "Covers", "CoveredBy", "Inside", "Contains"),
    "rcc8": ("eq", "dc", "ec", "po", "tppi", "tpp", "ntpp", "ntppi"),
}
RELATIONS = tuple(family + name for family, names in FAMILIES.items() for name in names)

_FEATURES = """SELECT ?g ?f ?geometry WHERE { GRAPH ?g { ?f geo:hasDefaultGeometry ?geometry } }"""
_LITERALS = """SELECT ?g ?geometry ?literal WHERE {
  GRAPH ?g { { ?geometry geo:asWKT ?literal } UNION { ?geometry geo:asGML ?literal } } }"""
# Evaluated on an empty in-memory store, the pairs given as VALUES of pyoxigraph-escaped terms.
_PAIRS = (
    "SELECT ?a ?b "
    + " ".join(f"(<{GEOF}{r}>(?wa, ?wb) AS ?{r})" for r in RELATIONS)
    + " WHERE {{ VALUES (?a ?wa) {{ {values} }} VALUES (?b ?wb) {{ {values} }} }}"
)
_BATCH = 20_000  # triples per INSERT DATA


@dataclass
class TopologyReport:
    pairs: int = 0  # geometry pairs compared
    triples: dict[str, int] = field(default_factory=dict)  # relation -> triples written


def materialise(store: KnowledgeGraph) -> TopologyReport:
    """Write the relations that hold as triples in the graph of their geometries."""
    features: dict[tuple[str, str], list] = {}
    for row in store.query(_FEATURES, union=False):
        features.setdefault((row["g"].value, str(row["geometry"])), []).append(row["f"])
    report = TopologyReport(triples=dict.fromkeys(RELATIONS, 0))
    found: list[str] = []
    engine = ox.Store()
    for graph, geometries in _crs84_geometries(store).items():
        values = " ".join(f"({geometry} {literal})" for geometry, literal in geometries.items())
        for row in engine.query(_PAIRS.format(values=values)):
            report.pairs += 1
            subjects = [row["a"], *features.get((graph.value, str(row["a"])), [])]
            objects = [row["b"], *features.get((graph.value, str(row["b"])), [])]
            for relation in RELATIONS:
                value = row[relation]
                if value is not None and value.value in ("true", "1"):
                    predicate = ox.NamedNode(GEO + relation)
                    found += [
                        f"GRAPH {graph} {{ {s} {predicate} {o} }}"
                        for s in subjects
                        for o in objects
                    ]
                    report.triples[relation] += len(subjects) * len(objects)
    for start in range(0, len(found), _BATCH):
        store.update("INSERT DATA { " + " ".join(found[start : start + _BATCH]) + " }")
    return report


def _crs84_geometries(store: KnowledgeGraph) -> dict[ox.NamedNode, dict]:
    """graph -> {geometry: its CRS84 WKT literal}, WKT preferred to GML; geometries in other
    CRSs (rune-kg's image pixels included) or that do not parse are left out."""
    found: dict[ox.NamedNode, dict] = {}
    for row in store.query(_LITERALS, union=False):
        geometries = found.setdefault(row["g"], {})
        known = geometries.get(row["geometry"])
        if known is not None and row["literal"].datatype == GML_LITERAL:
            continue
        try:
            literal = crs84_wkt(row["literal"])
        except ValueError:
            continue
        if literal is not None:
            geometries[row["geometry"]] = literal
    return found
