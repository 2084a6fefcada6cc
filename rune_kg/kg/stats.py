"""Counts over the store: images, entities, entities per class, triples."""

from __future__ import annotations

from .store import META_GRAPH, KnowledgeGraph

_PER_CLASS = """
SELECT ?cls (COUNT(?e) AS ?n) WHERE { ?e rune:className ?cls } GROUP BY ?cls ORDER BY DESC(?n) ?cls
"""
_IMAGES = "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a rune:Image }"
_OWN = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {META_GRAPH} {{ ?s ?p ?o }} }}"  # its revision
_RUNS = "SELECT ?name WHERE { ?r a rune:DetectionRun ; rune:sourceName ?name } ORDER BY ?name"


def collection_stats(store: KnowledgeGraph) -> dict:
    classes = {row["cls"].value: int(row["n"].value) for row in store.query(_PER_CLASS)}
    return {
        "images": int(next(iter(store.query(_IMAGES)))["n"].value),
        "entities": sum(classes.values()),
        "classes": classes,
        "triples": len(store) - int(next(iter(store.query(_OWN)))["n"].value),  # the data's
        "runs": [row["name"].value for row in store.query(_RUNS)],
    }
