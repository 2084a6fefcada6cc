"""The knowledge graph: stores (embedded Oxigraph or a SPARQL endpoint) behind one interface,
the IRIs of the data, box geometry, and the entity index derived from the graph."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreError
from . import iris
from .embedded import Store
from .store import KnowledgeGraph

DEFAULT_STORE = "rune-store"

__all__ = ["DEFAULT_STORE", "KnowledgeGraph", "Store", "default_store_path", "iris", "open_store"]


def default_store_path() -> Path:
    """--store, else $RUNE_STORE, else ./rune-store."""
    return Path(os.environ.get("RUNE_STORE", DEFAULT_STORE))


def open_store(
    path: Path | str | None = None,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    read_only: bool = False,
    create: bool = True,
) -> KnowledgeGraph:
    """The embedded store at `path`, or the SPARQL endpoint `endpoint`; without either,
    $RUNE_ENDPOINT (with $RUNE_UPDATE_ENDPOINT, $RUNE_ENDPOINT_USER and $RUNE_ENDPOINT_PASSWORD),
    else $RUNE_STORE, else ./rune-store. A missing embedded store is created unless `read_only`
    or not `create`."""
    if path is not None and endpoint is not None:
        raise StoreError("give --store DIR or --endpoint URL, not both")
    endpoint = endpoint or (os.environ.get("RUNE_ENDPOINT") if path is None else None)
    if endpoint:
        from .remote import RemoteStore  # SPARQLWrapper only when a remote store is used

        updates = None if read_only else update_endpoint or os.environ.get("RUNE_UPDATE_ENDPOINT")
        return RemoteStore(
            endpoint,
            updates,
            os.environ.get("RUNE_ENDPOINT_USER"),
            os.environ.get("RUNE_ENDPOINT_PASSWORD"),
        )
    return Store(path or default_store_path(), read_only=read_only, create=create)
