"""What the app holds for its requests: the store, the SPARQL worker pool and the translator."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field

from flask import current_app

from ..endpoint import QueryPool
from ..endpoint.forward import ForwardingPool
from ..endpoint.updates import prepare_update
from ..errors import BadRequest, StoreError, StoreUnavailable
from ..kg import KnowledgeGraph, Store, open_store
from ..kg.index import index_lock, load_index, refresh_index, save_index
from ..translate import open_translator


@dataclass
class Runtime:
    store: KnowledgeGraph  # the embedded Store, or a RemoteStore
    pool: object  # QueryPool, or ForwardingPool for a remote endpoint
    translator: object  # "embedded" or an LLM backend (rune_kg.translate.open_translator)
    update_token: str | None
    union: bool  # the default graph of queries is the union of all graphs (DEFAULT_GRAPH)
    translate_lock: threading.Lock = field(
        default_factory=threading.Lock
    )  # LLM backends: one request at a time
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    void: tuple | None = None  # ((store revision, base URL), its VoID triples)
    written: bool = False  # an update ran: the index in memory is newer than the saved one

    @classmethod
    def from_config(cls, config) -> Runtime:
        token = config["UPDATE_TOKEN"] or None
        if config["DEFAULT_GRAPH"] not in ("union", "store"):
            raise ValueError(f"DEFAULT_GRAPH is union or store, not {config['DEFAULT_GRAPH']!r}")
        gazetteer = config["GAZETTEER"]
        if gazetteer not in (None, "store") and gazetteer not in config["SERVICE_ALLOW"]:
            raise ValueError(f"GAZETTEER {gazetteer} must be on SERVICE_ALLOW (it is called)")
        timeout = float(config["QUERY_TIMEOUT"])
        if config["ENDPOINT"]:
            store = open_store(
                endpoint=config["ENDPOINT"],
                update_endpoint=config["UPDATE_ENDPOINT"],
                read_only=token is None,
            )
            pool = ForwardingPool(config["ENDPOINT"], timeout)
        else:
            store = Store(config["STORE"], read_only=token is None)
            pool = QueryPool(
                config["STORE"],
                workers=int(config["QUERY_WORKERS"]),
                timeout=timeout,
                queue_size=int(config["QUERY_QUEUE"]),
            )
        load_index(
            store, progress=False
        )  # built once here rather than by the first searches at once
        translator = open_translator(
            config["TRANSLATOR"], model=config["LLM_MODEL"], url=config["LLM_URL"]
        )
        return cls(store, pool, translator, token, config["DEFAULT_GRAPH"] == "union")

    def update(
        self, text: str, using: tuple[str, ...], using_named: tuple[str, ...], base_iri: str
    ) -> None:
        """Run a SPARQL update (the protocol's dataset given as `using`, `using_named`); then the
        entity index is refreshed for the graphs it changed and the query workers reopen the
        store, both without stopping readers. BadRequest, StoreUnavailable."""
        prepared = prepare_update(text, using, using_named, union=self.union)
        with self.write_lock, index_lock(self.store):
            try:
                self.store.update(prepared.text, base_iri=base_iri)
            except SyntaxError as err:
                raise BadRequest(str(err)) from None
            except (OSError, StoreError) as err:
                raise StoreUnavailable(f"the update failed: {err}") from None
            refresh_index(self.store, prepared.graphs)
            self.pool.refresh()
            self.written = True

    def close(self) -> None:
        """Stop the query workers and save an index that updates changed (idempotent;
        create_app also registers it to run at exit)."""
        self.pool.close()
        cached = self.store.cache.get("index")
        if self.written and cached and cached[0] == self.store.generation:
            save_index(self.store, cached[1])
            self.written = False

    def may_update(self, authorization: str | None) -> bool:
        """Whether an Authorization header carries the update token."""
        if (
            self.update_token is None
            or not authorization
            or not authorization.startswith("Bearer ")
        ):
            return False
        return hmac.compare_digest(
            authorization[len("Bearer ") :].encode(), self.update_token.encode()
        )


def runtime() -> Runtime:
    return current_app.extensions["rune"]
