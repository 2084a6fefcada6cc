"""The embedded knowledge-graph store: an on-disk Oxigraph database (pyoxigraph)."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox

from .vocab import PREFIXES

DEFAULT_STORE = "rune-store"


class StoreError(RuntimeError):
    """The store cannot be opened, read or written."""


def default_store_path() -> Path:
    """--store, else $RUNE_STORE, else ./rune-store."""
    return Path(os.environ.get("RUNE_STORE", DEFAULT_STORE))


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

    def query(self, sparql: str, substitutions: dict | None = None, union: bool = True):
        """Run a SPARQL query; raises SyntaxError for a malformed query."""
        return self._store.query(
            sparql, prefixes=PREFIXES, use_default_graph_as_union=union, substitutions=substitutions
        )

    def update(self, sparql: str) -> None:
        """Run a SPARQL update (one transaction)."""
        self._store.update(sparql, prefixes=PREFIXES)
        self.generation += 1

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

    def __len__(self) -> int:
        return len(self._store)

    def flush(self) -> None:
        self._store.flush()

    def dump(self, output, fmt: ox.RdfFormat) -> None:
        self._store.dump(output, format=fmt)
