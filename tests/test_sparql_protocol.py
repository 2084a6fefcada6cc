"""The SPARQL 1.1 Protocol at /sparql, through the Flask test client and, with SPARQLWrapper,
against `rune serve` on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TURTLE, XML, SPARQLWrapper

from rune_kg.server import create_app

COUNT_IMAGES = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a rune:Image }"
CONSTRUCT_SHIPS = "CONSTRUCT { ?s a rune:Ship } WHERE { ?s a rune:Ship }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def triples(data: bytes, rdf_format: ox.RdfFormat) -> set[ox.Triple]:
    return {quad.triple for quad in ox.parse(data, format=rdf_format)}


def count(response) -> int:
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_get_and_both_posts_answer_alike(client, store):
    expected = int(next(iter(store.query(COUNT_IMAGES)))["n"].value)
    by_get = client.get("/sparql", query_string={"query": COUNT_IMAGES})
    by_form = client.post("/sparql", data={"query": COUNT_IMAGES})
    by_body = client.post("/sparql", data=COUNT_IMAGES, content_type="application/sparql-query")
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200
        assert response.mimetype == "application/sparql-results+json"
        assert count(response) == expected == 25


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.2, text/csv", "text/csv"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_results_follow_accept_and_its_q_values(client, accept, media_type):
    response = client.get(
        "/sparql", query_string={"query": COUNT_IMAGES}, headers={"Accept": accept}
    )
    assert response.status_code == 200 and response.mimetype == media_type
    if media_type == "text/csv":
        assert list(csv.reader(io.StringIO(response.text))) == [["n"], ["25"]]


@pytest.mark.parametrize(
    "accept, rdf_format",
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/sparql-results+json;q=1, application/rdf+xml;q=0.5", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_results_in_each_rdf_format(client, store, accept, rdf_format):
    expected = set(store.query(CONSTRUCT_SHIPS))
    response = client.get(
        "/sparql", query_string={"query": CONSTRUCT_SHIPS}, headers={"Accept": accept}
    )
    assert response.status_code == 200 and response.mimetype == rdf_format.media_type
    assert triples(response.data, rdf_format) == expected and len(expected) > 100


def test_ask_and_describe(client):
    ask = client.get("/sparql", query_string={"query": "ASK { ?s a rune:Harbor }"})
    assert ask.get_json()["boolean"] is True
    describe = client.get(
        "/sparql", query_string={"query": "DESCRIBE <https://w3id.org/rune-kg/data/image/P0706>"}
    )
    assert b"P0706" in describe.data and describe.mimetype == "text/turtle"


def test_dataset_parameters_choose_the_graphs(client):
    run_graph = "https://w3id.org/rune-kg/data/graph/dota"
    image_graph = "https://w3id.org/rune-kg/data/graph/dota/P0706"
    everything = count(
        client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    )
    in_run = count(
        client.get(
            "/sparql",
            query_string={
                "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                "default-graph-uri": run_graph,
            },
        )
    )
    named = client.post(
        "/sparql",
        data={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": [image_graph],
        },
    )
    assert 0 < in_run < everything
    assert [b["g"]["value"] for b in named.get_json()["results"]["bindings"]] == [image_graph]


def test_errors_have_the_protocol_status(client, app):
    syntax = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert syntax.status_code == 400 and "error at" in syntax.text  # the parser's own message
    twice = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert twice.status_code == 400 and "once" in twice.text
    assert (
        client.get(
            "/sparql", query_string={"query": COUNT_IMAGES}, headers={"Accept": "image/png"}
        ).status_code
        == 406
    )
    assert (
        client.get(
            "/sparql", query_string={"query": CONSTRUCT_SHIPS}, headers={"Accept": "text/csv"}
        ).status_code
        == 406
    )  # a graph cannot be CSV
    assert client.post("/sparql", data=COUNT_IMAGES, content_type="text/plain").status_code == 415
    too_big = "# " + "x" * app.config["MAX_CONTENT_LENGTH"] + "\n" + COUNT_IMAGES
    assert (
        client.post("/sparql", data=too_big, content_type="application/sparql-query").status_code
        == 413
    )


def test_a_query_past_the_time_limit_is_stopped_and_the_endpoint_goes_on(client):
    stopped = client.get("/sparql", query_string={"query": ENDLESS})
    assert stopped.status_code == 503 and "2 s limit" in stopped.text
    assert count(client.get("/sparql", query_string={"query": COUNT_IMAGES})) == 25


def test_service_clauses_only_to_allowed_endpoints(client):
    for query in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "PREFIX x: <http://127.0.0.1:1/> SELECT * WHERE { SERVICE SILENT x:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    ):
        refused = client.get("/sparql", query_string={"query": query})
        assert refused.status_code == 403, query
    quoted = client.get(
        "/sparql",
        query_string={
            "query": 'SELECT ("SERVICE <http://x/>" AS ?s) WHERE {} # SERVICE <http://y/>'
        },
    )
    assert quoted.status_code == 200


def test_federation_through_an_allowed_service(live_server, store_dir):
    remote = live_server + "sparql"
    app = create_app({"STORE": str(store_dir), "SERVICE_ALLOW": [remote], "QUERY_WORKERS": 1})
    try:
        query = f"SELECT ?n WHERE {{ SERVICE <{remote}> {{ {COUNT_IMAGES} }} }}"
        response = app.test_client().get("/sparql", query_string={"query": query})
        assert response.status_code == 200, response.text
        assert count(response) == 25
    finally:
        app.extensions["rune"].close()


def test_service_description_without_a_query(client):
    response = client.get("/sparql")
    triples = list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = [t.object.value for t in triples if t.predicate.value == sd + "endpoint"]
    assert endpoint == ["http://localhost/sparql"]
    languages = {t.object.value for t in triples if t.predicate.value == sd + "supportedLanguage"}
    assert languages == {sd + "SPARQL11Query"}  # no update token, so no updates
    formats = {t.object.value for t in triples if t.predicate.value == sd + "resultFormat"}
    assert {
        "http://www.w3.org/ns/formats/JSON-LD",
        "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    } <= formats
    assert all(f.startswith("http://www.w3.org/ns/formats/") for f in formats)


def test_cors_for_browser_tools(client):
    response = client.get(
        "/sparql", query_string={"query": COUNT_IMAGES}, headers={"Origin": "http://example.org"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql", headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"}
    )
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_updates_need_the_token_and_are_seen_by_later_queries(writable, client):
    insert = "INSERT DATA { GRAPH <urn:notes> { <urn:a> rdfs:comment 'checked by hand' } }"
    ask = {"query": "ASK { <urn:a> rdfs:comment ?c }"}
    assert (
        client.post("/sparql", data=insert, content_type="application/sparql-update").status_code
        == 403
    )
    assert (
        writable.post("/sparql", data=insert, content_type="application/sparql-update").status_code
        == 403
    )
    assert (
        writable.post(
            "/sparql",
            data=insert,
            content_type="application/sparql-update",
            headers={"Authorization": "Bearer wrong"},
        ).status_code
        == 403
    )
    assert writable.get("/sparql", query_string=ask).get_json()["boolean"] is False
    done = writable.post(
        "/sparql", data={"update": insert}, headers={"Authorization": "Bearer s3cret"}
    )
    assert done.status_code == 204
    assert writable.get("/sparql", query_string=ask).get_json()["boolean"] is True
    bad = writable.post(
        "/sparql",
        data="INSERT DATA {",
        content_type="application/sparql-update",
        headers={"Authorization": "Bearer s3cret"},
    )
    assert bad.status_code == 400
    description = writable.get("/sparql").text
    assert "SPARQL11Update" in description


def test_sparqlwrapper_against_the_live_server(live_server, store):
    sparql = SPARQLWrapper(live_server + "sparql")
    sparql.setQuery(COUNT_IMAGES)
    sparql.setReturnFormat(JSON)
    assert sparql.query().convert()["results"]["bindings"][0]["n"]["value"] == "25"

    sparql.setMethod(POST)
    sparql.setReturnFormat(XML)
    document = sparql.query().convert()  # an xml.dom document
    assert document.getElementsByTagName("literal")[0].firstChild.data == "25"

    sparql.setReturnFormat(CSV)
    assert sparql.query().convert().decode().split() == ["n", "25"]

    sparql.setQuery("ASK { ?s a rune:Ship }")
    sparql.setReturnFormat(JSON)
    assert sparql.query().convert()["boolean"] is True

    expected = set(store.query(CONSTRUCT_SHIPS))
    sparql.setQuery(CONSTRUCT_SHIPS)
    for wrapper_format, rdf_format in (
        (TURTLE, ox.RdfFormat.TURTLE),
        (N3, ox.RdfFormat.TURTLE),
        (JSONLD, ox.RdfFormat.JSON_LD),
    ):
        sparql.setReturnFormat(wrapper_format)
        raw = sparql.query().response.read()
        assert triples(raw, rdf_format) == expected, wrapper_format


def test_the_live_server_is_waitress(live_server):
    from urllib.request import urlopen

    with urlopen(live_server + "sparql?query=ASK%7B%7D") as response:
        assert response.headers["Server"] == "rune-kg"
        assert json.loads(response.read()) == {"head": {}, "boolean": True}
