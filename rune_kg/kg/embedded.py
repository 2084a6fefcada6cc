"""The embedded store: an on-disk Oxigraph database (pyoxigraph), the default knowledge graph."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable
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

BULK_BYTES = 40_000_000  # N-Quads per call of the bulk loader (about 190,000 quads)
BULK_LOADS = 2  # calls at a time


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
        New graphs go to Oxigraph's bulk loader as N-Quads files of about BULK_BYTES, each
        loaded in a background thread while the next is written: the loader's memory grows
        with the size of a file (1.6 GB for DOTA v1.0's 3 million triples in one), its speed
        with fewer files. Should the process die during a load, running the same ingest again
        replaces those graphs whole. Nothing is written, the revision included, when `graphs`
        is empty.
        """
        present = set(self._store.named_graphs())
        written = 0
        with _BulkFiles(self._store, BULK_BYTES, BULK_LOADS) as bulk:
            for graph, ntriples in graphs:
                written += 1
                if graph in present:
                    bulk.wait()  # nothing else writes while a graph is replaced
                    self._store.update(
                        f"DROP SILENT GRAPH {graph} ; "
                        f"INSERT DATA {{ GRAPH {graph} {{ {ntriples} }} }}"
                    )
                else:  # N-Triples -> N-Quads: a line ends with " .\n", as no literal does
                    bulk.add(ntriples.replace(" .\n", f" {graph} .\n").encode())
                    present.add(graph)
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

    def compact(self) -> None:
        """Compact the database files (Oxigraph's optimize): an ingest leaves many small files,
        which SPARQL scans read 3-5 times slower, and a store opened read-only (rune serve)
        never compacts them. Needs free disk about the store's size while it runs."""
        self._store.optimize()

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


class _BulkFiles:
    """N-Quads for the bulk loader, written to temporary files of about `limit` bytes; each full
    file is loaded in a background thread (Oxigraph releases the GIL while it loads) as the next
    ones are written, `parallel` loads at a time. Leaving the `with` block loads the rest and
    waits."""

    def __init__(self, store: ox.Store, limit: int, parallel: int):
        import tempfile  # here, as concurrent.futures: a query does not need them (10 ms)
        from concurrent.futures import ThreadPoolExecutor

        self.store, self.limit = store, limit
        self.folder = tempfile.TemporaryDirectory(prefix="rune-bulk-")
        self.loader = ThreadPoolExecutor(parallel, thread_name_prefix="rune-bulk")
        self.parallel = parallel
        self.loading: deque = deque()  # Futures of the loads running
        self.file: BinaryIO | None = None
        self.files = 0

    def add(self, nquads: bytes) -> None:
        if self.file is None:
            self.files += 1
            self.file = open(Path(self.folder.name) / f"{self.files}.nq", "wb")  # noqa: SIM115
        self.file.write(nquads)
        if self.file.tell() >= self.limit:
            self._hand_over()

    def wait(self) -> None:
        """Load what was added so far, and wait until it is in the store."""
        self._hand_over()
        while self.loading:
            self.loading.popleft().result()  # raises a load's error

    def _hand_over(self) -> None:
        if self.file is None:
            return
        self.file.close()
        path, self.file = self.file.name, None
        if len(self.loading) >= self.parallel:
            self.loading.popleft().result()
        self.loading.append(self.loader.submit(self._load, path))

    def _load(self, path: str) -> None:
        # lenient: the text is ours, every outside term in it escaped by pyoxigraph
        self.store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS, lenient=True)
        os.unlink(path)

    def __enter__(self) -> _BulkFiles:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if kind is None:
                self.wait()
            else:
                for load in self.loading:
                    load.exception()  # let the running loads end before their files go
        finally:
            if self.file is not None:
                self.file.close()
            self.loader.shutdown()
            self.folder.cleanup()
