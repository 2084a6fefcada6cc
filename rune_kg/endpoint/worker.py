"""A query worker's process: python -m rune_kg.endpoint.worker STORE. Requests (SparqlRequest, or
"reopen" to open the store again) arrive pickled on stdin; answers leave on the original stdout:
("ok", (body, media type, form)), ("ready", None) once the store is open, or (error class name,
message)."""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

import pyoxigraph as ox

from ..errors import StoreError
from ..kg import Store
from .formats import GRAPH_TYPES, RESULT_TYPES, canonical_type
from .pool import SparqlRequest
from .services import declares_dataset

NICENESS = 10


def _execute(store: Store, request: SparqlRequest) -> tuple[str, object]:
    """Run one request in a worker: ("ok", (body, media type, form)) or (error class, message)."""
    try:
        # The dataset: the protocol's if it gives one, else the query's FROM clauses, else the
        # union of every graph as the default graph.
        protocol = bool(request.default_graphs or request.named_graphs)
        result = store.query(
            request.query,
            union=request.union and not declares_dataset(request.query),
            default_graph=[ox.NamedNode(g) for g in request.default_graphs] if protocol else None,
            named_graphs=[ox.NamedNode(g) for g in request.named_graphs] if protocol else None,
            base_iri=request.base_iri,
        )
        if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
            form = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
            if request.result_type is None:
                return "NotAcceptable", f"a {form} result needs one of: {', '.join(RESULT_TYPES)}"
            body = result.serialize(format=RESULT_TYPES[request.result_type])
            return "ok", (body, canonical_type(request.result_type), form)
        if request.graph_type is None:
            return "NotAcceptable", f"a graph result needs one of: {', '.join(GRAPH_TYPES)}"
        body = ox.serialize(result, format=GRAPH_TYPES[request.graph_type])
        return "ok", (body, canonical_type(request.graph_type), "graph")
    except SyntaxError as err:
        return "SparqlSyntaxError", str(err)
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        return "QueryFailed", str(err)


def _serve(path: str) -> None:
    """Open the store, then answer requests until stdin closes; anything printed goes to stderr."""
    requests, answers = Connection(os.dup(0)), Connection(os.dup(1))
    os.dup2(2, 1)
    # Below the server in CPU priority: a slow query must not starve the page, linked data and
    # searches that the server's own threads answer.
    os.nice(NICENESS)
    store = _open(path, answers)
    while store is not None:
        try:
            request = requests.recv()
        except EOFError:
            return
        if request == "reopen":
            del store  # closes it: one read-only instance at a time
            store = _open(path, answers)
        else:
            answers.send(_execute(store, request))


def _open(path: str, answers: Connection) -> Store | None:
    """The store opened read-only, "ready" said; None (the failure said) if it cannot open."""
    try:
        store = Store(path, read_only=True)
    except StoreError as err:
        answers.send(("QueryFailed", str(err)))
        return None
    answers.send(("ready", None))
    return store


if __name__ == "__main__":
    _serve(sys.argv[1])
