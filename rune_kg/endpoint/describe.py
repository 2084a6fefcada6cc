"""RDF descriptions of the service (SPARQL 1.1 Service Description) and of the dataset (VoID)."""

from __future__ import annotations

import pyoxigraph as ox

from ..kg import KnowledgeGraph, iris
from ..kg.stats import collection_stats
from ..vocab import DATA_NS, DCTERMS, ONTOLOGY, ONTOLOGY_IRI, RDF_TYPE, SD, VOID, XSD
from .formats import GRAPH_TYPES, RESULT_TYPES

DATASET = ox.NamedNode(DATA_NS + "dataset")
# W3C's registered format IRIs (https://www.w3.org/ns/formats/) where pyoxigraph's differ
FORMAT_IRIS = {ox.RdfFormat.JSON_LD: "http://www.w3.org/ns/formats/JSON-LD"}


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def _void(local: str) -> ox.NamedNode:
    return ox.NamedNode(VOID + local)


def _integer(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))


def service_description(
    endpoint: str, updates: bool, federated: bool, union: bool = True
) -> list[ox.Triple]:
    """The endpoint's sd:Service: languages, result formats, features and its default dataset."""
    service = ox.NamedNode(endpoint)
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("defaultDataset"), DATASET),
        ox.Triple(DATASET, RDF_TYPE, _sd("Dataset")),
    ]
    if union:
        triples.append(ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")))
    if updates:
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    if federated:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    formats = {FORMAT_IRIS.get(f, f.iri) for f in [*RESULT_TYPES.values(), *GRAPH_TYPES.values()]}
    triples += [
        ox.Triple(service, _sd("resultFormat"), ox.NamedNode(iri)) for iri in sorted(formats)
    ]
    return triples


def void_description(store: KnowledgeGraph, base_url: str) -> list[ox.Triple]:
    """The dataset's void:Dataset: size, URI space, vocabulary, endpoint, dump, class partitions."""
    stats = collection_stats(store)
    triples = [
        ox.Triple(DATASET, RDF_TYPE, _void("Dataset")),
        ox.Triple(
            DATASET,
            ox.NamedNode(DCTERMS + "title"),
            ox.Literal("rune-kg: objects in aerial images"),
        ),
        ox.Triple(DATASET, _void("sparqlEndpoint"), ox.NamedNode(base_url + "sparql")),
        ox.Triple(DATASET, _void("dataDump"), ox.NamedNode(base_url + "export")),
        ox.Triple(DATASET, _void("uriSpace"), ox.Literal(DATA_NS)),
        ox.Triple(DATASET, _void("vocabulary"), ox.NamedNode(ONTOLOGY_IRI)),
        ox.Triple(DATASET, _void("triples"), _integer(stats["triples"])),
        ox.Triple(DATASET, _void("entities"), _integer(stats["entities"] + stats["images"])),
    ]
    for name, n in stats["classes"].items():  # className values are query-language class names
        if name in ONTOLOGY.classes:
            part = ox.BlankNode()
            triples += [
                ox.Triple(DATASET, _void("classPartition"), part),
                ox.Triple(part, _void("class"), ONTOLOGY.classes[name].iri),
                ox.Triple(part, _void("entities"), _integer(n)),
            ]
    return triples


_GRAPH_SIZE = "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"


def graph_description(store: KnowledgeGraph, graph: ox.NamedNode, base_url: str) -> list:
    """A named graph of the store as a void:Dataset, a subset of the whole (empty when the store
    has no such graph): its size, the endpoint and the image it is about."""
    row = next(iter(store.query(_GRAPH_SIZE.format(graph=graph))))  # the term, escaped
    size = int(row["n"].value)
    if not size:
        return []
    triples = [
        ox.Triple(graph, RDF_TYPE, _void("Dataset")),
        ox.Triple(graph, _void("triples"), _integer(size)),
        ox.Triple(graph, _void("sparqlEndpoint"), ox.NamedNode(base_url + "sparql")),
        ox.Triple(DATASET, _void("subset"), graph),
    ]
    key = iris.image_graph_key(graph.value)
    if key is not None:  # an image's entities from one source
        triples.append(ox.Triple(graph, _void("rootResource"), iris.image_iri(key[1])))
    return triples
