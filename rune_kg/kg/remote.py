"""A store behind any SPARQL 1.1 endpoint (Oxigraph server, Fuseki, GraphDB, Virtuoso, QLever),
through SPARQLWrapper: a KnowledgeGraph (rune_kg.kg.store) like the embedded Store, so that
every command runs on either.

The endpoint must answer queries over the union of its named graphs by default (Oxigraph:
`serve --union-default-graph`; Fuseki: `tdb2:unionDefaultGraph true`); this is checked on first
use. Queries are portable SPARQL 1.1: the default prefixes are declared in the text, and
substitutions become a VALUES block at the start of the WHERE clause (terms written by
pyoxigraph). Reads are retried on connection failures; an ingest batch (each image's graph
dropped and written again in one request) is retried too, because doing it twice gives the
same graph; other updates are not.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.error
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from ..errors import FormatError, StoreError
from ..vocab import PREFIXES, RUNE
from .geofunctions import functions_for
from .store import META_GRAPH, STORE_NODE, revision_update, write_quads

BATCH_BYTES = 32_000_000  # N-Triples per update request when writing graphs

_DECLARATIONS = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_ACCEPT = {
    "json": "application/sparql-results+json, application/ld+json;q=0.9",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "xml": "application/sparql-results+xml, application/rdf+xml;q=0.9",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
}
_FORM = re.compile(
    r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
    re.IGNORECASE,
)


def with_values(sparql: str, substitutions: dict) -> str:
    """The query with `VALUES (?v ...) { (term ...) }` opening its WHERE clause."""
    found = _WHERE.search(sparql)
    if found is None:
        raise ValueError("a query with substitutions needs an explicit WHERE clause")
    names = " ".join(f"?{v.value}" for v in substitutions)
    terms = " ".join(str(t) for t in substitutions.values())
    return f"{sparql[: found.end()]} VALUES ({names}) {{ ({terms}) }} {sparql[found.end() :]}"


class RemoteStore:
    """A SPARQL 1.1 endpoint: `query_url`, `update_url` (none: read-only), optional credentials."""

    path = None  # no folder: the index is cached under $RUNE_CACHE (default ~/.cache/rune-kg)

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 120.0,
        retries: int = 2,
    ):
        self.query_url, self.update_url = query_url, update_url
        self.user, self.password = user, password
        self.timeout, self.retries = timeout, retries
        self.generation = 0
        self.cache: dict = {}
        self._checked = False

    @property
    def location(self) -> str:
        return self.query_url

    def _wrapper(self, text: str) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(self.query_url, updateEndpoint=self.update_url)
        wrapper.setMethod(POST)
        wrapper.setTimeout(self.timeout)
        if self.user:
            wrapper.setCredentials(self.user, self.password or "")
        wrapper.setQuery(text)
        return wrapper

    def _send(self, wrapper: SPARQLWrapper, retry: bool):
        """Run the request; connection failures are retried (with backoff) when `retry`."""
        for attempt in range(self.retries + 1 if retry else 1):
            try:
                return wrapper.query()
            except QueryBadFormed as err:
                message = str(err).split("Response:", 1)[-1].strip()
                raise SyntaxError(message + _geof_note(wrapper.queryString)) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
                reason = getattr(err, "reason", err)
                if attempt == (self.retries if retry else 0):
                    raise StoreError(
                        "SPARQL endpoint "
                        f"{wrapper.endpoint if wrapper.queryType != 'UPDATE' else self.update_url} "
                        f"did not answer: {reason}"
                    ) from None
                time.sleep(0.5 * 2**attempt)
            except SPARQLWrapperException as err:
                raise StoreError(
                    f"SPARQL endpoint error: {err}{_geof_note(wrapper.queryString)}"
                ) from None
        raise AssertionError("unreachable")

    def _check_union(self) -> None:
        if self._checked:
            return
        self._checked = True
        named = self.query("ASK WHERE { GRAPH ?g { ?s ?p ?o } }", check=False)
        if named and not self.query("ASK WHERE { ?s ?p ?o }", check=False):
            raise StoreError(
                f"{self.query_url} does not query the union of its named graphs by default: start "
                "Oxigraph with `serve --union-default-graph` (Fuseki: tdb2:unionDefaultGraph true)"
            )

    def query(
        self,
        sparql: str,
        substitutions: dict | None = None,
        union: bool = True,
        default_graph: list[ox.NamedNode] | None = None,
        named_graphs: list[ox.NamedNode] | None = None,
        check: bool = True,
    ):
        """SELECT: pyoxigraph QuerySolutions, read from the response as they are iterated (as an
        embedded store's); ASK: a bool; CONSTRUCT/DESCRIBE: a list of triples. Raises
        SyntaxError for a query the endpoint rejects, StoreError if it is down."""
        if check:
            self._check_union()
        if substitutions:
            sparql = with_values(sparql, substitutions)
        text = _DECLARATIONS + sparql
        form = _FORM.match(text)
        wrapper = self._wrapper(text)
        for graph in default_graph or []:
            wrapper.addDefaultGraph(graph.value)
        for graph in named_graphs or []:
            wrapper.addNamedGraph(graph.value)
        if form and form.group(1).upper() in ("CONSTRUCT", "DESCRIBE"):
            wrapper.setReturnFormat(TURTLE)
            body = self._send(wrapper, retry=True).response.read()
            return [q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)]
        wrapper.setReturnFormat(JSON)
        response = self._send(wrapper, retry=True).response
        media_type = response.headers.get("Content-Type", "application/sparql-results+json")
        results_format = ox.QueryResultsFormat.from_media_type(media_type)
        if results_format is None:
            raise StoreError(f"SPARQL endpoint answered a SELECT or ASK with {media_type}")
        # parsed as the response arrives: a result of millions of rows is never held whole
        results = ox.parse_query_results(response, results_format)
        return bool(results) if isinstance(results, ox.QueryBoolean) else results

    def raw_query(self, sparql: str, accept: str) -> tuple[bytes, str]:
        """The endpoint's own serialization of a query's results: (body, media type)."""
        self._check_union()
        wrapper = self._wrapper(_DECLARATIONS + sparql)
        wrapper.addCustomHttpHeader("Accept", accept)
        response = self._send(wrapper, retry=True).response
        return response.read(), response.headers.get("Content-Type", accept)

    def _require_updates(self) -> None:
        if not self.update_url:
            raise StoreError(
                f"{self.query_url} is read-only here: pass --update-endpoint (or "
                "$RUNE_UPDATE_ENDPOINT)"
            )

    def update(self, sparql: str, base_iri: str | None = None, retry: bool = False) -> None:
        """Run a SPARQL update (relative IRIs resolved against `base_iri`) and renew the
        revision, in one request."""
        self._require_updates()
        base = f"BASE {ox.NamedNode(base_iri)}\n" if base_iri else ""  # escaped as an IRI
        text = base + _DECLARATIONS + sparql + " ;\n" + revision_update()
        self._send(self._wrapper(text), retry=retry)
        self.generation += 1

    def put_graphs(self, graphs: Iterable[tuple[ox.NamedNode, str]]) -> int:
        """Replace each graph's content, a request per BATCH_BYTES of N-Triples: every image is
        atomic on servers that run an update request in one transaction (Oxigraph, Fuseki,
        GraphDB). Returns how many graphs were written."""
        self._require_updates()
        operations: list[str] = []
        size = written = 0
        for graph, ntriples in graphs:
            operations.append(
                f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{ntriples}}} }}"
            )
            size += len(ntriples)
            written += 1
            if size >= BATCH_BYTES:
                self.update(" ;\n".join(operations), retry=True)
                operations, size = [], 0
        if operations:
            self.update(" ;\n".join(operations), retry=True)
        return written

    @property
    def revision(self) -> str | None:
        rows = list(
            self.query(
                f"SELECT ?r WHERE {{ GRAPH {META_GRAPH} {{ {STORE_NODE} {RUNE.revision} ?r }} }}"
            )
        )
        return rows[0]["r"].value if rows else None

    @property
    def index_folder(self) -> Path:
        folder = Path(os.environ.get("RUNE_CACHE", Path.home() / ".cache" / "rune-kg"))
        folder = folder / hashlib.sha1(self.query_url.encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def __len__(self) -> int:
        count = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(count))["n"].value)

    def quads(self):
        rows = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)

    def export(self, output: BinaryIO, fmt: ox.RdfFormat) -> None:
        write_quads(self.quads(), output, fmt)

    def query_serialized(self, sparql: str, fmt: str) -> bytes:
        """The endpoint's own serialization of the results."""
        if fmt not in _ACCEPT:
            raise FormatError(f"--format {fmt}: known formats are {', '.join(_ACCEPT)}")
        body, _ = self.raw_query(sparql, _ACCEPT[fmt])
        return body

    def flush(self) -> None:
        """Nothing to do: the endpoint commits each request."""


def _geof_note(sparql: str) -> str:
    """What to know when a query that calls geof: functions fails on a server."""
    if not functions_for(sparql):
        return ""
    return (
        " (the query calls GeoSPARQL geof: functions: on an endpoint they are the server's own, "
        "if it has them; rune-kg's additions, GML and EPSG:4326 literals, geof:buffer and "
        "geof:boundary, exist only on an embedded store)"
    )
