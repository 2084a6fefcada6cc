"""The vocabulary: the ontology's terms, its object classes and its relation catalogue, all read
from ontology/rune.ttl."""

from .ontology import (DATA_NS, DCTERMS, GEO, ONTOLOGY, ONTOLOGY_FILE, ONTOLOGY_IRI, OWL_CLASS, PREFIXES, PROV,
                       RDF_TYPE, RDFS_LABEL, RDFS_SUBCLASS, RUNE, RUNE_NS, SD, SKOS_ALT, VOID, XSD, ObjectClass,
                       descendants, leaf_classes)
from .relations import RELATIONS, Relation, materialised, predicates, stored_predicates, symmetric_predicates

__all__ = ["DATA_NS", "DCTERMS", "GEO", "ONTOLOGY", "ONTOLOGY_FILE", "ONTOLOGY_IRI", "OWL_CLASS", "PREFIXES", "PROV",
           "RDF_TYPE", "RDFS_LABEL", "RDFS_SUBCLASS", "RUNE", "RUNE_NS", "SD", "SKOS_ALT", "VOID", "XSD",
           "ObjectClass", "descendants", "leaf_classes", "RELATIONS", "Relation", "materialised", "predicates",
           "stored_predicates", "symmetric_predicates"]
