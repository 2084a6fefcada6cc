"""The embedded store: an on-disk Oxigraph database (pyoxigraph), the default knowledge graph."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from ..errors import FormatError, StoreError
from ..vocab import PREFIXES, RUNE
from .geofunctions import functions_for
from .store import (
    GRAPH_FORMATS,
    META_GRAPH,
    RESULT_FORMATS,
    STORE_NODE,
    revision_update,
    write_quads,
)

BULK_BYTES = 150_000_000  # N-Quads per call of the bulk loader (about 720,000 quads)


class Store:
    """A pyoxigraph store; reads see the union of all named graphs as the default graph."""

    def __init__(
        self, path: Path | str | None = None, read_only: bool = False, create: bool = True
    ):
        """The store at `path` (in memory without one); a missing one is created unless it is
        opened read-only or `create` is false (then StoreError)."""
        self.path = Path(path) if path is not None else None
        self.generation = 0  # bumped on every write, so that derived caches know they are stale
        self.cache: dict = {}
        try:
            if self.path is None:
                self._store = ox.Store()
            elif not self.path.exists() and (read_only or not create):
                raise StoreError(
                    f"no store at {self.path} (run `rune ingest` first, or pass --store)"
                )
            elif read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except OSError as err:
            raise StoreError(f"cannot open store {self.path}: {err}") from err

    def query(
        self,
        sparql: str,
        substitutions: dict | None = None,
        union: bool = True,
        default_graph: list[ox.NamedNode] | None = None,
        named_graphs: list[ox.NamedNode] | None = None,
        base_iri: str | None = None,
    ):
        """Run a SPARQL query; raises SyntaxError for a malformed query. The default graph is the
        union of all graphs (`union`) unless a dataset is given: `default_graph`, the graphs to
        merge, and `named_graphs`, what GRAPH sees (SPARQL protocol's default-graph-uri and
        named-graph-uri; an empty list: none). Relative IRIs resolve against `base_iri`. The
        `geof:` functions take GML, EPSG:4326 and empty literals too (kg/geofunctions.py)."""
        return self._store.query(
            sparql,
            prefixes=PREFIXES,
            use_default_graph_as_union=union and default_graph is None and named_graphs is None,
            default_graph=default_graph,
            named_graphs=named_graphs,
            substitutions=substitutions,
            base_iri=base_iri,
            custom_functions=functions_for(sparql) or None,
        )

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        """Run a SPARQL update (relative IRIs resolved against `base_iri`); the new revision is
        written in the same transaction."""
        self._store.update(
            sparql + " ;\n" + revision_update(),
            prefixes=PREFIXES,
            base_iri=base_iri,
            custom_functions=functions_for(sparql) or None,
        )
        self.generation += 1

    @property
    def revision(self) -> str | None:
        """The token rune-kg wrote with the last change (None for a store it never wrote)."""
        found = self._store.quads_for_pattern(STORE_NODE, RUNE.revision, None, META_GRAPH)
        return next((q.object.value for q in found), None)

    def put_graphs(self, graphs: Iterable[tuple[ox.NamedNode, str]]) -> int:
        """Store each (graph, N-Triples) pair, replacing what the graph held; returns how many.

        The pairs are consumed lazily. A graph already present is replaced in one transaction.
        New graphs stream into Oxigraph's bulk loader, a call per BULK_BYTES of N-Quads: the
        loader's memory grows with the size of a call (1.6 GB for DOTA v1.0's 3 million
        triples in one), its speed with fewer calls. Should the process die during a call,
        running the same ingest again replaces those graphs whole. Nothing is written, the
        revision included, when `graphs` is empty.
        """
        written = 0

        def new_graphs() -> Iterator[bytes]:
            nonlocal written
            for graph, ntriples in graphs:
                written += 1
                if self._store.contains_named_graph(graph):
                    self._store.update(
                        f"DROP SILENT GRAPH {graph} ; "
                        f"INSERT DATA {{ GRAPH {graph} {{ {ntriples} }} }}"
                    )
                else:  # N-Triples -> N-Quads: a line ends with " .\n", as no literal does
                    yield ntriples.replace(" .\n", f" {graph} .\n").encode()

        stream = _Stream(new_graphs(), BULK_BYTES)
        while not stream.exhausted:
            # lenient: the text is ours, every outside term in it escaped by pyoxigraph
            self._store.bulk_load(stream.call(), format=ox.RdfFormat.N_QUADS, lenient=True)
        if written:
            self.generation += 1
            self._store.update(revision_update())
        return written

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else "memory"

    @property
    def index_folder(self) -> Path | None:
        """Where indexes derived from this store are saved: its folder (None in memory)."""
        return self.path

    def __len__(self) -> int:
        return len(self._store)

    def flush(self) -> None:
        self._store.flush()

    def quads(self):
        """Every quad of the store, lazily."""
        return self._store.quads_for_pattern(None, None, None, None)

    def export(self, output: BinaryIO, fmt: ox.RdfFormat) -> None:
        if fmt.supports_datasets:
            self._store.dump(output, format=fmt)  # streamed by Oxigraph
        else:
            write_quads(self.quads(), output, fmt)

    def query_serialized(self, sparql: str, fmt: str) -> bytes:
        result = self.query(sparql)
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            if fmt not in RESULT_FORMATS:
                form = "ASK" if isinstance(result, ox.QueryBoolean) else "SELECT"
                raise FormatError(
                    f"--format {fmt} is for graphs; {form} results: {', '.join(RESULT_FORMATS)}"
                )
            return result.serialize(format=RESULT_FORMATS[fmt])
        graph_format = GRAPH_FORMATS.get(fmt)
        if graph_format is None:
            raise FormatError(
                f"--format {fmt} is for SELECT/ASK; graphs: {', '.join(GRAPH_FORMATS)}"
            )
        return ox.serialize(result, format=graph_format)


class _Stream:
    """The byte chunks of an iterator, handed to the bulk loader a call at a time (`call`)."""

    def __init__(self, chunks: Iterator[bytes], limit: int):
        self.chunks, self.limit = chunks, limit
        self.pending = memoryview(b"")
        self.exhausted = False

    def call(self) -> io.BufferedReader:
        """A reader that ends once it has given `limit` bytes, at a chunk's end."""
        return io.BufferedReader(_Call(self), 1 << 20)


class _Call(io.RawIOBase):
    def __init__(self, stream: _Stream):
        self.stream, self.given = stream, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        stream = self.stream
        if not stream.pending:
            chunk = None if self.given >= stream.limit else next(stream.chunks, None)
            if chunk is None:
                stream.exhausted = self.given < stream.limit
                return 0
            stream.pending = memoryview(chunk)
        size = min(len(buffer), len(stream.pending))
        buffer[:size] = stream.pending[:size]
        stream.pending = stream.pending[size:]
        self.given += size
        return size
