"""The embedded knowledge-graph store: an on-disk Oxigraph database (pyoxigraph)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pyoxigraph as ox

from .vocab import DATA_NS, PREFIXES, RUNE

DEFAULT_STORE = "rune-store"
STORE_NODE = ox.NamedNode(DATA_NS + "store")  # subject of the store's own facts (its revision)
META_GRAPH = ox.NamedNode(DATA_NS + "graph/store")


class StoreError(RuntimeError):
    """The store cannot be opened, read or written."""


def default_store_path() -> Path:
    """--store, else $RUNE_STORE, else ./rune-store."""
    return Path(os.environ.get("RUNE_STORE", DEFAULT_STORE))


def open_store(path: Path | str | None = None, endpoint: str | None = None, update_endpoint: str | None = None,
               read_only: bool = False):
    """The embedded store at `path`, or the SPARQL endpoint `endpoint` (rune_kg.remote); without
    either, $RUNE_ENDPOINT (with $RUNE_UPDATE_ENDPOINT, $RUNE_ENDPOINT_USER and
    $RUNE_ENDPOINT_PASSWORD), else $RUNE_STORE, else ./rune-store."""
    if path is not None and endpoint is not None:
        raise StoreError("give --store DIR or --endpoint URL, not both")
    endpoint = endpoint or (os.environ.get("RUNE_ENDPOINT") if path is None else None)
    if endpoint:
        from .remote import RemoteStore

        updates = None if read_only else update_endpoint or os.environ.get("RUNE_UPDATE_ENDPOINT")
        return RemoteStore(endpoint, updates, os.environ.get("RUNE_ENDPOINT_USER"),
                           os.environ.get("RUNE_ENDPOINT_PASSWORD"))
    return Store(path or default_store_path(), read_only=read_only)


class Store:
    """A pyoxigraph store; reads see the union of all named graphs as the default graph."""

    def __init__(self, path: Path | str | None = None, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        self.generation = 0  # bumped on every write, so that derived caches know they are stale
        self.cache: dict = {}
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                if not self.path.exists():
                    raise StoreError(f"no store at {self.path} (run `rune ingest` first, or pass --store)")
                self._store = ox.Store.read_only(str(self.path))
            else:
                self._store = ox.Store(str(self.path))
        except OSError as err:
            raise StoreError(f"cannot open store {self.path}: {err}") from err

    def query(self, sparql: str, substitutions: dict | None = None, union: bool = True,
              default_graph: list[ox.NamedNode] | None = None, named_graphs: list[ox.NamedNode] | None = None):
        """Run a SPARQL query; raises SyntaxError for a malformed query. The default graph is the
        union of all graphs unless `default_graph` names the graphs to merge (SPARQL protocol's
        default-graph-uri); `named_graphs` restricts what GRAPH sees (named-graph-uri)."""
        return self._store.query(
            sparql, prefixes=PREFIXES, use_default_graph_as_union=union and not default_graph,
            default_graph=default_graph or None, named_graphs=named_graphs or None, substitutions=substitutions,
        )

    def update(self, sparql: str) -> None:
        """Run a SPARQL update; the new revision is written in the same transaction."""
        self._store.update(sparql + " ;\n" + self._revision_update(), prefixes=PREFIXES)
        self.generation += 1

    @property
    def revision(self) -> str | None:
        """The token rune-kg wrote with the last change (None for a store it never wrote)."""
        found = self._store.quads_for_pattern(STORE_NODE, RUNE.revision, None, META_GRAPH)
        return next((q.object.value for q in found), None)

    def _revision_update(self) -> str:
        new = ox.Literal(uuid.uuid4().hex)
        return (f"DELETE WHERE {{ GRAPH {META_GRAPH} {{ {STORE_NODE} {RUNE.revision} ?r }} }} ;\n"
                f"INSERT DATA {{ GRAPH {META_GRAPH} {{ {STORE_NODE} {RUNE.revision} {new} }} }}")

    def put_graphs(self, graphs: list[tuple[ox.NamedNode, str]]) -> None:
        """Store each (graph, N-Triples) pair, replacing what the graph held.

        A graph already present is replaced in one transaction. New graphs go in together
        through the bulk loader, several times faster than transactions; should the process
        die during that call, running the same ingest again replaces those graphs whole.
        """
        self.generation += 1
        new = []
        for graph, ntriples in graphs:
            if self._store.contains_named_graph(graph):
                self._store.update(f"DROP SILENT GRAPH {graph} ; INSERT DATA {{ GRAPH {graph} {{ {ntriples} }} }}")
            else:
                # N-Triples -> N-Quads: a line ends with " .\n", which no escaped literal contains.
                new.append(ntriples.replace(" .\n", f" {graph} .\n"))
        if new:
            self._store.bulk_load("".join(new), format=ox.RdfFormat.N_QUADS)
        self._store.update(self._revision_update())

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else "memory"

    @property
    def index_file(self) -> Path | None:
        """Where indexes derived from this store are saved: inside its folder (None in memory)."""
        return self.path / "rune-index.npz" if self.path is not None else None

    def __len__(self) -> int:
        return len(self._store)

    def flush(self) -> None:
        self._store.flush()

    def quads(self):
        """Every quad of the store, lazily."""
        return self._store.quads_for_pattern(None, None, None, None)

    def dump(self, output, fmt: ox.RdfFormat) -> None:
        self._store.dump(output, format=fmt)
