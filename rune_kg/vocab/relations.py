"""The relation catalogue: every spatial relation of the ontology with what the code needs to know
about it, read from ontology/rune.ttl. The ingest stage, the entity index, the SPARQL rewriter,
the translator and the docs all read it here; none keeps a list of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox

from .ontology import ONTOLOGY, RDF_TYPE, RDFS_LABEL, RUNE_NS

_OWL = "http://www.w3.org/2002/07/owl#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OBJECT_PROPERTY = ox.NamedNode(_OWL + "ObjectProperty")
_SYMMETRIC = ox.NamedNode(_OWL + "SymmetricProperty")
_INVERSE = ox.NamedNode(_OWL + "inverseOf")
_ASYMMETRIC = ox.NamedNode(_OWL + "AsymmetricProperty")
_DISJOINT = ox.NamedNode(_OWL + "propertyDisjointWith")
_COMMENT = ox.NamedNode(_RDFS + "comment")
_TRUE = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))


@dataclass(frozen=True)
class Relation:
    """One binary relation between two entities of an image."""

    name: str  # the query-language predicate (left_of), or snake_case of the IRI's local name
    iri: ox.NamedNode
    label: str
    definition: str  # rdfs:comment: when the relation holds
    is_predicate: bool  # usable in formulas (a rune:predicateName); False for stored helpers
    symmetric: bool
    inverse: str | None  # the relation that holds on the swapped pair (owl:inverseOf)
    materialised: bool  # ingest stores its pairs in the graph
    thresholds: tuple[str, ...]  # the Thresholds fields its definition reads
    phrases: tuple[str, ...] = ()  # English: "X <phrase> Y" says rel(X, Y) (rune:phrase)
    inverse_phrases: tuple[str, ...] = ()  # "X <phrase> Y" says rel(Y, X)
    negated_phrases: tuple[str, ...] = ()  # "X <phrase> Y" says ~rel(X, Y)
    group_phrases: tuple[str, ...] = ()  # "<group> <phrase>": rel between every two members
    asymmetric: bool = False  # rel(a, b) excludes rel(b, a) (owl:AsymmetricProperty)
    disjoint: tuple[str, ...] = ()  # relations that cannot hold on the same pair (both ways)
    arity: int = 2

    @property
    def stored(self) -> bool:
        """Answered from stored pairs: its own, or its inverse's with the pair swapped."""
        return self.materialised or (
            self.inverse is not None and RELATIONS[self.inverse].materialised
        )

    @property
    def stored_as(self) -> tuple[Relation, bool]:
        """(materialised relation, swapped) whose pairs answer this one; only when `stored`."""
        if self.materialised:
            return self, False
        return RELATIONS[self.inverse], True


def _snake(local: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", local).lower()


def _values_as_terms(iri: ox.NamedNode, local: str) -> list:
    return ONTOLOGY.objects(iri, ox.NamedNode(RUNE_NS + local))


def _values(iri: ox.NamedNode, local: str) -> tuple[str, ...]:
    return tuple(o.value for o in _values_as_terms(iri, local))


def _read() -> dict[str, Relation]:
    graph = ONTOLOGY.graph
    properties = [
        t.subject
        for t in graph
        if t.predicate == RDF_TYPE
        and t.object == _OBJECT_PROPERTY
        and isinstance(t.subject, ox.NamedNode)
        and t.subject.value.startswith(RUNE_NS)
    ]
    inverse: dict[ox.NamedNode, ox.NamedNode] = {}
    disjoint: dict[ox.NamedNode, list[ox.NamedNode]] = {}
    for t in graph:
        if t.predicate == _INVERSE:
            inverse[t.subject], inverse[t.object] = t.object, t.subject
        elif t.predicate == _DISJOINT:
            disjoint.setdefault(t.subject, []).append(t.object)
            disjoint.setdefault(t.object, []).append(t.subject)
    found: dict[ox.NamedNode, Relation] = {}
    names: dict[ox.NamedNode, str] = {}
    stored = {iri for iri in properties if _TRUE in _values_as_terms(iri, "materialised")}
    for iri in properties:
        predicate = ONTOLOGY.annotation(iri, "predicateName")
        if predicate is None and iri not in stored:
            continue  # structure (inImage, classCount ...), not a relation between entities
        names[iri] = predicate or _snake(iri.value[len(RUNE_NS) :])
    for iri, name in names.items():
        labels = ONTOLOGY.objects(iri, RDFS_LABEL)
        comments = ONTOLOGY.objects(iri, _COMMENT)
        found[iri] = Relation(
            name=name,
            iri=iri,
            label=labels[0].value if labels else name.replace("_", " "),
            definition=comments[0].value if comments else "",
            is_predicate=ONTOLOGY.annotation(iri, "predicateName") is not None,
            symmetric=_SYMMETRIC in ONTOLOGY.objects(iri, RDF_TYPE),
            inverse=names.get(inverse.get(iri)),
            materialised=iri in stored,
            thresholds=_values(iri, "thresholdParameter"),
            phrases=_values(iri, "phrase"),
            inverse_phrases=_values(iri, "inversePhrase"),
            negated_phrases=_values(iri, "negatedPhrase"),
            group_phrases=_values(iri, "groupPhrase"),
            asymmetric=_ASYMMETRIC in ONTOLOGY.objects(iri, RDF_TYPE),
            disjoint=tuple(sorted(names[d] for d in disjoint.get(iri, ()) if d in names)),
        )
    return {r.name: r for r in found.values()}


RELATIONS: dict[str, Relation] = _read()


@cache
def predicates() -> dict[str, Relation]:
    """The relations a formula may use, by predicate name."""
    return {name: r for name, r in RELATIONS.items() if r.is_predicate}


@cache
def materialised() -> tuple[Relation, ...]:
    """The relations whose pairs ingest stores, in a fixed order."""
    return tuple(r for r in RELATIONS.values() if r.materialised)


def symmetric_predicates() -> frozenset[str]:
    return frozenset(name for name, r in predicates().items() if r.symmetric)


def stored_predicates() -> frozenset[str]:
    """Predicates answered from stored pairs (near, overlaps, inside, contains)."""
    return frozenset(name for name, r in predicates().items() if r.stored)


def markdown_table() -> str:
    """The predicates as the table of docs/query-language.md (a test keeps the two equal)."""
    rows = [
        "| predicate | holds when | symmetric | inverse | answered from | thresholds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in predicates().items():
        if r.materialised:
            source = "stored pairs"
        else:
            source = f"stored {r.inverse} pairs" if r.stored else "measures"
        cells = [
            f"{name}(a, b)",
            r.definition.replace("|", "\\|"),
            "yes" if r.symmetric else "no",
            r.inverse or "-",
            source,
            ", ".join(r.thresholds) or "-",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
