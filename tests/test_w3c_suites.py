"""The W3C SPARQL 1.1 query- and update-evaluation tests, run from their manifests through
the server's /sparql endpoint and, beside it, on pyoxigraph itself (the engine the server
runs). A test that the engine passes must pass through the endpoint too. The suite is read
from ../shared/w3c/sparql/sparql11 (see its SOURCES.md); without it, these tests are skipped.

Queries: every data file is loaded into one store twice, as a named graph under its own IRI
and under `<its IRI>#default`; a test's dataset is then given by the protocol's
default-graph-uri and named-graph-uri (an empty graph when it has none), and its query is sent
with a BASE of the query file, as the suite's harnesses do. Results are compared as multisets
of solutions (or of triples), every blank node taken as equal to any other, order ignored.

Updates: each test gets a fresh store with its data and a server that takes updates; the
update is POSTed with a BASE of its file, and the store's quads (read back by /export,
rune-kg's own revision graph left out) are compared with the expected dataset.
"""

from __future__ import annotations

import collections
from functools import partial
from pathlib import Path

import pyoxigraph as ox
import pytest

from rune_kg.kg.store import META_GRAPH
from rune_kg.server import create_app

from .w3c import MF, QT, RDF, RDFS, SUITE, UT
from .w3c import objects as _objects
from .w3c import path as _path
from .w3c import rdf_list as _list

EMPTY = "urn:rune-kg:test:empty"
# Not applicable through a dataset of the protocol, each with its reason.
NOT_APPLICABLE = {
    "FROM": "the query names its own dataset by files relative to it",
    "LOAD": "LOAD of an IRI off the allow-list is refused (403), SILENT or not",
}
RESULT_FORMATS = {
    ".srx": ox.QueryResultsFormat.XML,
    ".srj": ox.QueryResultsFormat.JSON,
    ".tsv": ox.QueryResultsFormat.TSV,
    ".csv": ox.QueryResultsFormat.CSV,
}

pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason=f"no W3C suite at {SUITE}")


def _entries(top_name: str, kind: str):
    """(manifest graph, test node) of every test of `kind` in the manifests `top_name`
    includes."""
    top = SUITE / top_name
    graph = ox.Store()
    graph.load(path=str(top), format=ox.RdfFormat.TURTLE, base_iri=top.as_uri())
    includes = [
        _path(m)
        for m in _list(graph, _objects(graph, ox.NamedNode(top.as_uri()), MF + "include")[0])
    ]
    for manifest in includes:
        graph = ox.Store()
        graph.load(path=str(manifest), format=ox.RdfFormat.TURTLE, base_iri=manifest.as_uri())
        entries = _objects(graph, ox.NamedNode(manifest.as_uri()), MF + "entries")
        for test in _list(graph, entries[0]) if entries else []:
            if MF + kind in {t.value for t in _objects(graph, test, RDF + "type")}:
                yield graph, test, f"{manifest.parent.name}/{test.value.rsplit('#', 1)[-1]}"


def evaluation_tests() -> list[dict]:
    """Every mf:QueryEvaluationTest of manifest-sparql11-query.ttl."""
    tests = []
    for graph, test, name in _entries("manifest-sparql11-query.ttl", "QueryEvaluationTest"):
        action = _objects(graph, test, MF + "action")[0]
        result = _objects(graph, test, MF + "result")
        tests.append(
            {
                "id": name,
                "query": _path(_objects(graph, action, QT + "query")[0]),
                "data": [_path(d) for d in _objects(graph, action, QT + "data")],
                "graphs": [_path(g) for g in _objects(graph, action, QT + "graphData")],
                "result": _path(result[0]) if result else None,
            }
        )
    return tests


def _dataset(graph: ox.Store, node) -> list[tuple[Path, str | None]]:
    """An update test's dataset: (file, graph name or None for the default graph)."""
    found = [(_path(d), None) for d in _objects(graph, node, UT + "data")]
    for named in _objects(graph, node, UT + "graphData"):
        found.append(
            (
                _path(_objects(graph, named, UT + "graph")[0]),
                _objects(graph, named, RDFS + "label")[0].value,
            )
        )
    return found


def update_tests() -> list[dict]:
    """Every mf:UpdateEvaluationTest of manifest-sparql11-update.ttl."""
    tests = []
    for graph, test, name in _entries("manifest-sparql11-update.ttl", "UpdateEvaluationTest"):
        action = _objects(graph, test, MF + "action")[0]
        tests.append(
            {
                "id": name,
                "request": _path(_objects(graph, action, UT + "request")[0]),
                "before": _dataset(graph, action),
                "after": _dataset(graph, _objects(graph, test, MF + "result")[0]),
            }
        )
    return tests


def _rdf_format(path: Path) -> ox.RdfFormat:
    return ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE


def _blunt(term) -> str:
    return "_:b" if isinstance(term, ox.BlankNode) else str(term)


def _solutions(result) -> collections.Counter | bool:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return collections.Counter(
            tuple(sorted((n, _blunt(row[n])) for n in names if row[n] is not None))
            for row in result
        )
    return collections.Counter(
        (_blunt(t.subject), str(t.predicate), _blunt(t.object)) for t in result
    )


def _expected(path: Path):
    if path.suffix in RESULT_FORMATS:
        return _solutions(
            ox.parse_query_results(path=str(path), format=RESULT_FORMATS[path.suffix])
        )
    triples = ox.parse(path=str(path), format=_rdf_format(path), base_iri=path.as_uri())
    return _solutions(q.triple for q in triples)


def _returned(body: bytes, media_type: str):
    if media_type.startswith("application/sparql-results+xml"):
        return _solutions(ox.parse_query_results(body, format=ox.QueryResultsFormat.XML))
    return _solutions(q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The tests, and a server over one store holding every data file they use."""
    tests = evaluation_tests()
    folder = tmp_path_factory.mktemp("w3c") / "db"
    store = ox.Store(str(folder))
    for path in {p for t in tests for p in t["data"] + t["graphs"]}:
        for graph in (path.as_uri(), path.as_uri() + "#default"):
            try:
                store.load(
                    path=str(path),
                    format=_rdf_format(path),
                    base_iri=path.as_uri(),
                    to_graph=ox.NamedNode(graph),
                )
            except (SyntaxError, ValueError):
                pass  # a data file the engine cannot read fails its tests on both sides
    store.flush()
    del store
    app = create_app({"STORE": str(folder), "QUERY_TIMEOUT": 20, "QUERY_QUEUE": 0})
    yield tests, app.test_client()
    app.extensions["rune"].close()


def _engine(test: dict, query: str):
    store = ox.Store()
    for path in test["data"]:
        store.load(path=str(path), format=_rdf_format(path), base_iri=path.as_uri())
    for path in test["graphs"]:
        store.load(
            path=str(path),
            format=_rdf_format(path),
            base_iri=path.as_uri(),
            to_graph=ox.NamedNode(path.as_uri()),
        )
    return _solutions(store.query(query, base_iri=test["query"].as_uri()))


def _endpoint(client, test: dict, query: str):
    params = {
        "query": f"BASE <{test['query'].as_uri()}>\n{query}",
        "default-graph-uri": [p.as_uri() + "#default" for p in test["data"]] or [EMPTY],
        "named-graph-uri": [p.as_uri() for p in test["graphs"]],
    }
    response = client.post(
        "/sparql",
        data=params,
        headers={"Accept": "application/sparql-results+xml, application/n-triples"},
    )
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    return _returned(response.data, response.mimetype)


class Tally:
    """A suite run's counts, and the tests the engine passes but the endpoint fails."""

    def __init__(self, name: str):
        self.name, self.counts, self.failures = name, collections.Counter(), []

    def not_applicable(self, reason: str) -> None:
        self.counts["not applicable: " + reason] += 1

    def add(self, test_id: str, on_engine, through_endpoint, expected) -> None:
        """on_engine, through_endpoint: callables giving the result each way."""
        try:
            engine_passes = on_engine() == expected
        except (SyntaxError, ValueError, OSError):
            engine_passes = False
        endpoint_passes = through_endpoint() == expected
        self.counts["engine passes"] += engine_passes
        self.counts["endpoint passes"] += endpoint_passes
        self.counts["tests run"] += 1
        if engine_passes and not endpoint_passes:
            self.failures.append(test_id)

    def check(self, at_least: int) -> None:
        print(f"\nW3C SPARQL 1.1 {self.name}:", dict(self.counts))
        assert self.counts["tests run"] > at_least
        assert not self.failures, self.failures


def test_what_the_engine_passes_the_endpoint_passes(suite):
    tests, client = suite
    tally = Tally("query evaluation")
    for test in tests:
        query = test["query"].read_text()
        if " FROM " in query.upper().replace("\n", " "):
            tally.not_applicable(NOT_APPLICABLE["FROM"])
            continue
        tally.add(
            test["id"],
            partial(_engine, test, query),
            partial(_endpoint, client, test, query),
            _expected(test["result"]),
        )
    tally.check(at_least=200)


def _load(store: ox.Store, dataset: list[tuple[Path, str | None]]) -> None:
    for path, name in dataset:
        store.load(
            path=str(path),
            format=_rdf_format(path),
            base_iri=path.as_uri(),
            to_graph=ox.NamedNode(name) if name else ox.DefaultGraph(),
        )


def _quads(quads) -> collections.Counter:
    return collections.Counter(
        (
            _blunt(q.subject),
            str(q.predicate),
            _blunt(q.object),
            "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name),
        )
        for q in quads
        if q.graph_name != META_GRAPH
    )


def _update_on_engine(test: dict, update: str) -> collections.Counter:
    store = ox.Store()
    _load(store, test["before"])
    store.update(update, base_iri=test["request"].as_uri())
    return _quads(store)


def _update_through_endpoint(test: dict, update: str, folder: Path):
    store = ox.Store(str(folder))
    _load(store, test["before"])
    store.flush()
    del store
    app = create_app(
        {"STORE": str(folder), "UPDATE_TOKEN": "w3c", "QUERY_WORKERS": 1, "DEFAULT_GRAPH": "store"}
    )
    try:
        client = app.test_client()
        done = client.post(
            "/sparql",
            data=f"BASE <{test['request'].as_uri()}>\n{update}",
            content_type="application/sparql-update",
            headers={"Authorization": "Bearer w3c"},
        )
        if done.status_code != 204:
            return f"HTTP {done.status_code}: {done.text[:200]}"
        export = client.get("/export?format=nquads")
        return _quads(ox.parse(export.data, format=ox.RdfFormat.N_QUADS))
    finally:
        app.extensions["rune"].close()


def test_updates_the_engine_passes_pass_through_the_endpoint(tmp_path):
    tally = Tally("update evaluation")
    for i, test in enumerate(update_tests()):
        update = test["request"].read_text()
        if " LOAD " in f" {update.upper()} ":
            tally.not_applicable(NOT_APPLICABLE["LOAD"])
            continue
        expected = ox.Store()
        _load(expected, test["after"])
        tally.add(
            test["id"],
            partial(_update_on_engine, test, update),
            partial(_update_through_endpoint, test, update, tmp_path / str(i)),
            _quads(expected),
        )
    tally.check(at_least=90)
