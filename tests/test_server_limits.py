"""The server under hostile or unusual input: dataset semantics, limits, isolation, and the
status code and body each bad request gets (issue 18's defects, one test each)."""

from __future__ import annotations

import threading
import time

import pytest

from rune_kg.query.parse import MAX_COUNT, MAX_DEPTH, MAX_VARIABLES
from rune_kg.server import create_app

RUN_GRAPH = "https://w3id.org/rune-kg/data/graph/dota"
IMAGE_GRAPH = "https://w3id.org/rune-kg/data/graph/dota/P0706"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
UPDATE = "application/sparql-update"


def count(response) -> int:
    assert response.status_code == 200, response.text
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_from_clauses_and_protocol_datasets_are_honoured(client):
    everything = count(client.get("/sparql", query_string={"query": COUNT_ALL}))
    in_run = count(
        client.get("/sparql", query_string={"query": COUNT_ALL, "default-graph-uri": RUN_GRAPH})
    )
    from_clause = f"SELECT (COUNT(*) AS ?n) FROM <{RUN_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert count(client.get("/sparql", query_string={"query": from_clause})) == in_run
    assert 0 < in_run < everything
    # named-graph-uri alone: an empty default graph, as the protocol says
    named_only = client.get(
        "/sparql", query_string={"query": COUNT_ALL, "named-graph-uri": IMAGE_GRAPH}
    )
    assert count(named_only) == 0
    # a form POST's dataset may come in its URL
    form_with_url = client.post("/sparql?default-graph-uri=" + RUN_GRAPH, data={"query": COUNT_ALL})
    assert count(form_with_url) == in_run
    # the protocol's dataset wins over the query's
    in_image = count(
        client.get("/sparql", query_string={"query": COUNT_ALL, "default-graph-uri": IMAGE_GRAPH})
    )
    overridden = client.get(
        "/sparql", query_string={"query": from_clause, "default-graph-uri": IMAGE_GRAPH}
    )
    assert count(overridden) == in_image != in_run


def test_relative_iris_resolve_against_the_endpoint(client):
    found = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { BIND(<s> AS ?x) }"})
    assert found.get_json()["results"]["bindings"][0]["x"]["value"] == "http://localhost/s"


def test_protocol_details(client):
    assert client.head("/sparql").status_code == 200
    assert client.get("/sparql/", query_string={"query": "ASK {}"}).get_json()["boolean"] is True
    utf16 = client.post(
        "/sparql",
        data="ASK {}".encode("utf-16"),
        content_type="application/sparql-query; charset=UTF-16",
    )
    assert utf16.status_code == 415 and "UTF-8" in utf16.text
    not_an_iri = client.get(
        "/sparql", query_string={"query": "ASK {}", "default-graph-uri": "not an iri"}
    )
    assert not_an_iri.status_code == 400 and "absolute IRI" in not_an_iri.text


def test_updates_cannot_fetch_files_or_unlisted_urls_or_nest_the_server_down(writable):
    token = {"Authorization": "Bearer s3cret"}
    for update in (
        "LOAD <file:///etc/passwd>",
        "LOAD SILENT <http://127.0.0.1:1/data.ttl> INTO GRAPH <urn:g>",
        "PREFIX x: <http://127.0.0.1:1/> LOAD x:data",
    ):
        refused = writable.post("/sparql", data=update, content_type=UPDATE, headers=token)
        assert refused.status_code == 403, update
    deep = "INSERT DATA { " + "(" * 5000 + " ) " * 5000 + "}"
    nested = writable.post("/sparql", data=deep, content_type=UPDATE, headers=token)
    assert nested.status_code == 400 and "deeper" in nested.text
    both = writable.post(
        "/sparql?using-graph-uri=urn:g",
        data="WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        content_type=UPDATE,
        headers=token,
    )
    assert both.status_code == 400 and "USING/WITH" in both.text
    assert writable.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    relative = "INSERT DATA { GRAPH <urn:g> { <s> <p> <o> } }"
    done = writable.post("/sparql", data=relative, content_type=UPDATE, headers=token)
    assert done.status_code == 204
    ask = {"query": "ASK { <http://localhost/s> <http://localhost/p> <http://localhost/o> }"}
    assert writable.get("/sparql", query_string=ask).get_json()["boolean"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"q": ["a"]},
        {"fol": 42},
        {"fol": "~" * 20_000 + "ship(a)"},
        {"fol": "~" * (MAX_DEPTH + 5) + "ship(a)"},
        {"fol": f"exists>={MAX_COUNT + 1} a: ship(a)"},
        {"fol": "exists>=99999999999999999999 a: ship(a)"},
        {"fol": " & ".join(f"ship(v{i})" for i in range(MAX_VARIABLES + 1))},
    ],
)
def test_bad_searches_are_400_with_a_json_reason(client, body):
    response = client.post("/api/search", json=body)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"]


def test_every_api_error_is_json_and_every_route_has_cors(client):
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.is_json
    assert client.get("/images/P0005.png", query_string={"size": "²"}).status_code == 400
    for path in ("/void", "/data/image/P0706", "/ontology", "/"):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*", path


def test_a_search_past_the_time_limit_is_503(store_dir):
    app = create_app({"STORE": str(store_dir), "QUERY_TIMEOUT": 0.001})
    try:
        chain = "vehicle(a) & vehicle(b) & vehicle(c) & vehicle(d) & ~near(a, d) & near(a, b)"
        slow = app.test_client().get("/api/search", query_string={"fol": chain + " & near(b, c)"})
        assert slow.status_code == 503 and slow.is_json
        assert slow.headers["Retry-After"]
    finally:
        app.extensions["rune"].close()


def test_busy_workers_refuse_at_once_and_cheap_requests_stay_fast(store_dir):
    app = create_app(
        {"STORE": str(store_dir), "QUERY_TIMEOUT": 5, "QUERY_WORKERS": 1, "QUERY_QUEUE": 0}
    )
    client = app.test_client()
    try:
        client.get("/sparql", query_string={"query": "ASK {}"})  # the worker has started
        slow = threading.Thread(
            target=lambda: app.test_client().get("/sparql", query_string={"query": ENDLESS})
        )
        slow.start()
        time.sleep(0.5)
        started = time.perf_counter()
        busy = client.get("/sparql", query_string={"query": "ASK {}"})
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        for path in ("/", "/void", "/api/search?fol=ship(a)"):
            assert client.get(path).status_code == 200, path
        assert time.perf_counter() - started < 2.0
        slow.join()
    finally:
        app.extensions["rune"].close()


def test_pictures_are_published_by_their_url_never_by_their_path(client):
    from .conftest import IMAGES

    export = client.get("/export?format=nquads").text
    assert "P0706.png" in export and str(IMAGES) not in export
    page = client.get("/data/image/P0706", headers={"Accept": "application/n-triples"}).text
    assert "<http://localhost/images/P0706.png>" in page and str(IMAGES) not in page
    assert client.get("/images/P0706.png").status_code == 200


def test_graph_names_and_the_dataset_dereference(client):
    graph = client.get("/data/graph/dota/P0706", headers={"Accept": "application/n-triples"})
    assert graph.status_code == 200 and "void#rootResource" in graph.text
    assert "<https://w3id.org/rune-kg/data/image/P0706>" in graph.text
    html = client.get("/data/graph/dota/P0706", headers={"Accept": "text/html"})
    assert html.mimetype == "text/html" and "rootResource" in html.text
    dataset = client.get("/data/dataset", headers={"Accept": "text/turtle"})
    assert dataset.status_code == 200 and "void:sparqlEndpoint" in dataset.text
    assert client.get("/data/graph/dota/NOPE").status_code == 404
