"""What the app holds for its requests: the store, the SPARQL worker pool and the translator."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field

from flask import current_app

from ..endpoint import QueryPool
from ..endpoint.forward import ForwardingPool
from ..kg import KnowledgeGraph, Store, open_store
from ..kg.index import load_index
from ..translate import open_translator


@dataclass
class Runtime:
    store: KnowledgeGraph  # the embedded Store, or a RemoteStore
    pool: object  # QueryPool, or ForwardingPool for a remote endpoint
    translator: object  # "embedded" or an LLM backend (rune_kg.translate.open_translator)
    update_token: str | None
    translate_lock: threading.Lock = field(
        default_factory=threading.Lock
    )  # LLM backends: one request at a time
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    void: tuple | None = None  # ((store revision, base URL), its VoID triples)

    @classmethod
    def from_config(cls, config) -> Runtime:
        token = config["UPDATE_TOKEN"] or None
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
        return cls(store, pool, translator, token)

    def close(self) -> None:
        """Stop the query workers (idempotent; create_app also registers it to run at exit)."""
        self.pool.close()

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
