"""What every store behind rune-kg offers (`KnowledgeGraph`): the embedded Oxigraph store
(rune_kg.kg.embedded) and any SPARQL 1.1 endpoint (rune_kg.kg.remote).

Reads see the union of all named graphs as the default graph. Each image's entities from one
source live in a named graph of their own, replaced whole when that image is ingested again;
rune-kg writes a fresh revision token with every change, so that indexes derived from a store
know when they are stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import pyoxigraph as ox

from ..vocab import DATA_NS, PREFIXES, RUNE

STORE_NODE = ox.NamedNode(DATA_NS + "store")  # subject of the store's own facts (its revision)
META_GRAPH = ox.NamedNode(DATA_NS + "graph/store")

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "xml": ox.QueryResultsFormat.XML,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "json": ox.RdfFormat.JSON_LD,
}


class KnowledgeGraph(Protocol):
    """A store of rune-kg's graph. Queries raise SyntaxError when malformed and StoreError when
    the store cannot answer."""

    generation: int  # bumped by every write through this object, for caches derived from it
    cache: dict  # derived data kept with the store object (the entity index)

    @property
    def location(self) -> str:
        """A folder, a URL or "memory": where the graph lives, for messages."""

    @property
    def revision(self) -> str | None:
        """The token rune-kg wrote with the last change (None for a store it never wrote)."""

    @property
    def index_folder(self) -> Path | None:
        """The folder where the entity index derived from this store is saved (None: not
        saved)."""

    def query(
        self,
        sparql: str,
        substitutions: dict | None = None,
        union: bool = True,
        default_graph: list[ox.NamedNode] | None = None,
        named_graphs: list[ox.NamedNode] | None = None,
    ):
        """SELECT: rows of variable -> term; ASK: a boolean; CONSTRUCT/DESCRIBE: triples."""

    def query_serialized(self, sparql: str, fmt: str) -> bytes:
        """The query's results written in `fmt` (a RESULT_FORMATS or GRAPH_FORMATS key)."""

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        """Run a SPARQL update (relative IRIs resolved against `base_iri`) and renew the
        revision, atomically."""

    def put_graphs(self, graphs: Iterable[tuple[ox.NamedNode, str]]) -> int:
        """Replace each named graph's content with the N-Triples text given for it (consumed
        lazily); returns how many graphs were written. Writes nothing when there are none."""

    def quads(self) -> Iterable[ox.Quad]: ...

    def export(self, output: BinaryIO, fmt: ox.RdfFormat) -> None:
        """Write every quad (a dataset format) or the union of the graphs (a triple format)."""

    def flush(self) -> None: ...

    def __len__(self) -> int: ...


def revision_update() -> str:
    """The SPARQL update that replaces the store's revision token with a fresh one."""
    new = ox.Literal(uuid.uuid4().hex)
    return (
        f"DELETE WHERE {{ GRAPH {META_GRAPH} {{ {STORE_NODE} {RUNE.revision} ?r }} }} ;\n"
        f"INSERT DATA {{ GRAPH {META_GRAPH} {{ {STORE_NODE} {RUNE.revision} {new} }} }}"
    )


def write_quads(quads: Iterator[ox.Quad], output: BinaryIO, fmt: ox.RdfFormat) -> None:
    """Quads in a dataset format, or the set of their triples in a triple format."""
    items = list(quads) if fmt.supports_datasets else list({q.triple for q in quads})
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        output.write(ox.serialize(items, format=fmt, prefixes=PREFIXES))
    else:
        ox.serialize(items, output, format=fmt)
