"""The ontology, ontology/rune.ttl (the single source of IRIs), parsed: its `rune:` terms as Python
names and its object classes with their query-language names.

`RUNE.Image` etc. exist only if the ontology declares them (like rdflib's DefinedNamespace).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType

import pyoxigraph as ox

ONTOLOGY_FILE = Path(__file__).resolve().parents[1] / "ontology" / "rune.ttl"
ONTOLOGY_IRI = "https://w3id.org/rune-kg/ontology"
RUNE_NS = ONTOLOGY_IRI + "#"
DATA_NS = "https://w3id.org/rune-kg/data/"

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_ALT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
OWL_CLASS = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
GEO = "http://www.opengis.net/ont/geosparql#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"  # longitude, latitude (WGS 84)

PREFIXES = {
    "rune": RUNE_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
    "prov": PROV,
    "geo": GEO,
    "geof": "http://www.opengis.net/def/function/geosparql/",
    "uom": "http://www.opengis.net/def/uom/OGC/1.0/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sd": SD,
    "void": VOID,
    "dcterms": DCTERMS,
    "foaf": FOAF,
}


@dataclass(frozen=True)
class ObjectClass:
    """One class of the query language: a DOTA class or one of its superclasses."""

    name: str  # predicate name, e.g. small_vehicle
    iri: ox.NamedNode
    label: str
    synonyms: tuple[str, ...]
    adjectives: tuple[str, ...]  # before a superclass's noun, they name this class
    dota_name: str | None  # None for superclasses such as vehicle
    ancestors: tuple[ox.NamedNode, ...]  # proper superclasses within rune:Entity


RUNE_ADJECTIVE = ox.NamedNode(RUNE_NS + "adjective")


class _Ontology:
    """The parsed ontology; one instance, `ONTOLOGY`, loaded lazily."""

    @cached_property
    def graph(self) -> list[ox.Triple]:
        with ONTOLOGY_FILE.open("rb") as f:
            return [q.triple for q in ox.parse(f, ox.RdfFormat.TURTLE, base_iri=ONTOLOGY_IRI)]

    @cached_property
    def terms(self) -> frozenset[str]:
        """Local names of every rune: IRI the ontology declares (subject of a triple)."""
        return frozenset(
            t.subject.value[len(RUNE_NS) :]
            for t in self.graph
            if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(RUNE_NS)
        )

    @cached_property
    def _by_subject_predicate(self) -> dict[tuple[str, str], list]:
        found: dict[tuple[str, str], list] = {}
        for t in self.graph:
            found.setdefault((str(t.subject), t.predicate.value), []).append(t.object)
        return found

    def objects(self, subject: ox.NamedNode, predicate: ox.NamedNode) -> list:
        return list(self._by_subject_predicate.get((str(subject), predicate.value), ()))

    def annotation(self, subject: ox.NamedNode, local: str) -> str | None:
        values = self.objects(subject, ox.NamedNode(RUNE_NS + local))
        return values[0].value if values else None

    @cached_property
    def classes(self) -> dict[str, ObjectClass]:
        entity = ox.NamedNode(RUNE_NS + "Entity")
        parents = {
            t.subject: [
                o for o in self.objects(t.subject, RDFS_SUBCLASS) if isinstance(o, ox.NamedNode)
            ]
            for t in self.graph
            if t.predicate == RDF_TYPE
            and t.object == OWL_CLASS
            and isinstance(t.subject, ox.NamedNode)
        }

        def ancestors(iri: ox.NamedNode) -> list[ox.NamedNode]:
            found: list[ox.NamedNode] = []
            for parent in parents.get(iri, []):
                if parent != entity and parent.value.startswith(RUNE_NS):
                    found += [parent] + ancestors(parent)
            return found

        result = {}
        for iri in parents:
            name = self.annotation(iri, "predicateName")
            if name is None:
                continue
            result[name] = ObjectClass(
                name=name,
                iri=iri,
                label=self.objects(iri, RDFS_LABEL)[0].value,
                synonyms=tuple(o.value for o in self.objects(iri, SKOS_ALT)),
                adjectives=tuple(o.value for o in self.objects(iri, RUNE_ADJECTIVE)),
                dota_name=self.annotation(iri, "dotaName"),
                ancestors=tuple(dict.fromkeys(ancestors(iri))),
            )
        return result


ONTOLOGY = _Ontology()


class _Namespace:
    """rune: terms as attributes; an attribute the ontology does not declare is an error."""

    def __getattr__(self, local: str) -> ox.NamedNode:
        if local.startswith("_") or local not in ONTOLOGY.terms:
            raise AttributeError(f"rune:{local} is not declared in {ONTOLOGY_FILE.name}")
        return ox.NamedNode(RUNE_NS + local)


RUNE = _Namespace()


@cache
def leaf_classes() -> Mapping[str, ObjectClass]:
    """The classes that detections carry (the DOTA classes), by DOTA name (read-only: built
    once, as ingest asks for every object)."""
    return MappingProxyType({c.dota_name: c for c in ONTOLOGY.classes.values() if c.dota_name})


def descendants(name: str) -> frozenset[str]:
    """Class names that make `name(x)` true: the class itself and its subclasses (an entity
    has one class, a DOTA class or any other: FloodNet's vehicle, xBD's building)."""
    iri = ONTOLOGY.classes[name].iri
    return frozenset(
        c.name for c in ONTOLOGY.classes.values() if c.iri == iri or iri in c.ancestors
    )
