"""The endpoint stage when the graph lives in a remote SPARQL endpoint: each request is forwarded
(SPARQL 1.1 Protocol, POST) with the media types chosen for it, under the same time limit."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from ..errors import NotAcceptable, QueryFailed, QueryTimeout, SparqlSyntaxError
from .pool import SparqlRequest, SparqlResponse


class ForwardingPool:
    """QueryPool's interface over a remote query URL."""

    def __init__(self, query_url: str, timeout: float = 30.0):
        self.query_url, self.timeout = query_url, timeout

    def refresh(self) -> None:
        """Nothing to refresh: the remote endpoint always answers on its current data."""

    def close(self) -> None:
        """No processes to stop."""

    def run(self, request: SparqlRequest) -> SparqlResponse:
        accept = ", ".join(
            f"{t};q={q}" for t, q in ((request.result_type, 1.0), (request.graph_type, 0.9)) if t
        )
        fields = [("query", request.query)] + [
            ("default-graph-uri", g) for g in request.default_graphs
        ]
        fields += [("named-graph-uri", g) for g in request.named_graphs]
        http = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:
                body, media_type = response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            message = err.read().decode(errors="replace").strip()
            if err.code == 400:
                raise SparqlSyntaxError(message) from None
            if err.code == 406:
                raise NotAcceptable(message) from None
            raise QueryFailed(f"the SPARQL endpoint answered {err.code}: {message}") from None
        except TimeoutError:
            raise QueryTimeout(f"the remote query ran past the {self.timeout:g} s limit") from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, (socket.timeout, TimeoutError)):
                raise QueryTimeout(
                    f"the remote query ran past the {self.timeout:g} s limit"
                ) from None
            raise QueryFailed(
                f"the SPARQL endpoint {self.query_url} did not answer: {err.reason}"
            ) from None
        form = "graph" if media_type.split(";")[0].strip() in _GRAPH_MEDIA else "solutions"
        return SparqlResponse(body, media_type, form, time.perf_counter() - started)


_GRAPH_MEDIA = {
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
}
