"""The embedded store: an on-disk Oxigraph database (pyoxigraph), the default knowledge graph."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from ..errors import FormatError, StoreError
from ..vocab import PREFIXES, RUNE
from .store import (
    GRAPH_FORMATS,
    META_GRAPH,
    RESULT_FORMATS,
    STORE_NODE,
    revision_update,
    write_quads,
)


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
                    raise StoreError(
                        f"no store at {self.path} (run `rune ingest` first, or pass --store)"
                    )
                self._store = ox.Store.read_only(str(self.path))
            else:
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
    ):
        """Run a SPARQL query; raises SyntaxError for a malformed query. The default graph is the
        union of all graphs unless `default_graph` names the graphs to merge (SPARQL protocol's
        default-graph-uri); `named_graphs` restricts what GRAPH sees (named-graph-uri)."""
        return self._store.query(
            sparql,
            prefixes=PREFIXES,
            use_default_graph_as_union=union and not default_graph,
            default_graph=default_graph or None,
            named_graphs=named_graphs or None,
            substitutions=substitutions,
        )

    def update(self, sparql: str) -> None:
        """Run a SPARQL update; the new revision is written in the same transaction."""
        self._store.update(sparql + " ;\n" + revision_update(), prefixes=PREFIXES)
        self.generation += 1

    @property
    def revision(self) -> str | None:
        """The token rune-kg wrote with the last change (None for a store it never wrote)."""
        found = self._store.quads_for_pattern(STORE_NODE, RUNE.revision, None, META_GRAPH)
        return next((q.object.value for q in found), None)

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
                self._store.update(
                    f"DROP SILENT GRAPH {graph} ; INSERT DATA {{ GRAPH {graph} {{ {ntriples} }} }}"
                )
            else:
                # N-Triples -> N-Quads: a line ends with " .\n", which no escaped literal contains.
                new.append(ntriples.replace(" .\n", f" {graph} .\n"))
        if new:
            self._store.bulk_load("".join(new), format=ox.RdfFormat.N_QUADS)
        self._store.update(revision_update())

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
