"""Worker processes that run SPARQL queries on the store with a time limit.

Each worker (worker.py, a process of its own) opens the store read-only and answers one request
at a time over a pipe with the serialized result. A request that passes its time limit has its
worker stopped (the only way to stop a query inside Oxigraph) and a fresh one started in its
place. A read-only store sees the data as it was when it opened: after an update through the
server, `refresh()` has each worker reopen its store before its next query (milliseconds; the
process keeps running).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import (
    Busy,
    EndpointError,
    NotAcceptable,
    QueryFailed,
    QueryTimeout,
    SparqlSyntaxError,
)


@dataclass(frozen=True)
class SparqlRequest:
    query: str
    result_type: (
        str | None
    )  # media type for SELECT/ASK results (a RESULT_TYPES key), None: none acceptable
    graph_type: str | None  # media type for CONSTRUCT/DESCRIBE (a GRAPH_TYPES key)
    # The protocol's dataset (IRIs); when both are empty, the query's FROM clauses if any, else
    # the union of all graphs as the default graph and every named graph
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    base_iri: str | None = None  # what relative IRIs resolve against
    union: bool = True  # no dataset given: the union of all graphs as default graph (else the
    # store's own unnamed graph)


@dataclass(frozen=True)
class SparqlResponse:
    body: bytes
    media_type: str
    form: str  # "solutions", "boolean" or "graph"
    seconds: float = field(default=0.0)


_ERRORS = {cls.__name__: cls for cls in (NotAcceptable, SparqlSyntaxError, QueryFailed)}


class _Worker:
    """A process of its own (not a fork of the server's threads), killed to stop a query."""

    def __init__(self, path: Path, generation: int):
        self.generation = generation
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rune_kg.endpoint.worker", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.requests = Connection(os.dup(self.process.stdin.fileno()))
        self.answers = Connection(os.dup(self.process.stdout.fileno()))
        self.process.stdin.close()
        self.process.stdout.close()
        try:
            status, message = self.answers.recv()
        except EOFError:
            status, message = (
                "QueryFailed",
                f"the query worker exited with status {self.process.wait()}",
            )
        if status != "ready":
            self.stop()
            raise QueryFailed(message)

    def reopen(self, generation: int) -> None:
        """Open the store again, to see what was written since it was opened."""
        self.requests.send("reopen")
        status, message = self.answers.recv()
        if status != "ready":
            self.stop()
            raise QueryFailed(message)
        self.generation = generation

    def ask(self, request: SparqlRequest, timeout: float) -> tuple[str, object]:
        self.requests.send(request)
        if not self.answers.poll(timeout):
            raise QueryTimeout()
        return self.answers.recv()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.requests.close()
        self.answers.close()


class QueryPool:
    """`workers` processes over the store at `path`, each query limited to `timeout` seconds
    (its wait for a worker included). Up to `queue_size` requests may wait for a busy worker;
    beyond them a request is refused at once (Busy), so that waiting requests cannot take every
    server thread."""

    def __init__(
        self, path: Path | str, workers: int = 2, timeout: float = 30.0, queue_size: int = 0
    ):
        if workers < 1 or timeout <= 0 or queue_size < 0:
            raise ValueError(
                "a query pool needs at least one worker, a positive time limit and a queue "
                "of 0 or more"
            )
        self.path = Path(path)
        self.timeout = timeout
        self.queue_size, self.waiting = queue_size, 0
        self.generation = 0
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._lock = threading.Lock()
        for _ in range(workers):
            self._idle.put(None)  # started on first use

    def refresh(self) -> None:
        """Have each worker reopen its store before its next query, to see it as it is now."""
        with self._lock:
            self.generation += 1

    def run(self, request: SparqlRequest) -> SparqlResponse:
        """Answer one request; raises an EndpointError."""
        started = time.perf_counter()
        worker = self._take_worker()
        try:
            if worker is not None and worker.generation != self.generation:
                worker.reopen(self.generation)
            if worker is None:
                worker = _Worker(self.path, self.generation)
            left = self.timeout - (time.perf_counter() - started)
            status, value = worker.ask(request, max(left, 0.001))
        except (QueryTimeout, OSError, EOFError) as err:
            if worker is not None:
                worker.stop()
            self._idle.put(None)
            if isinstance(err, QueryTimeout):
                raise QueryTimeout(
                    f"the query ran past the {self.timeout:g} s limit and was stopped"
                ) from None
            raise QueryFailed(f"the query worker died: {err}") from None
        except EndpointError:
            self._idle.put(None)
            raise
        self._idle.put(worker)
        if status != "ok":
            raise _ERRORS[status](value)
        body, media_type, form = value
        return SparqlResponse(body, media_type, form, time.perf_counter() - started)

    def _take_worker(self) -> _Worker | None:
        """An idle worker (None: one to start); waiting for one only while fewer than
        queue_size requests wait (each holds a server thread), else Busy at once."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self.waiting >= self.queue_size:
                raise Busy("every query worker is busy; try again shortly")
            self.waiting += 1
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Busy(f"no query worker was free within {self.timeout:g} s") from None
        finally:
            with self._lock:
                self.waiting -= 1

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            if worker is not None:
                worker.stop()
