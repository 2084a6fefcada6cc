"""rune-kg on a remote SPARQL 1.1 endpoint: a real Oxigraph server (PyPI `oxigraph`) on
127.0.0.1, fed through `rune ingest --endpoint`, against the embedded store of the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from rune_kg.cli import main
from rune_kg.errors import StoreError
from rune_kg.kg.remote import RemoteStore
from rune_kg.kg.stats import collection_stats
from rune_kg.query.engine import answer
from rune_kg.server import create_app

from .conftest import IMAGES, LABELS, start_oxigraph

QUERIES = Path(__file__).resolve().parents[1] / "queries"


def formulas() -> list[str]:
    rows = [
        json.loads(line)
        for name in ("questions.jsonl", "benchmark.jsonl")
        for line in (QUERIES / name).read_text().splitlines()
        if line.strip()
    ]
    return sorted({r["fol"] for r in rows})


@pytest.fixture(scope="module")
def remote(oxigraph) -> RemoteStore:
    return RemoteStore(oxigraph + "/query", oxigraph + "/update")


def test_ingest_through_the_endpoint_gives_the_same_graph(remote, store):
    mine, theirs = collection_stats(store), collection_stats(remote)
    for key in ("images", "entities", "classes", "triples"):
        assert theirs[key] == mine[key], key
    assert len(remote) == len(store)


def test_every_formula_answers_alike_on_both_stores(remote, store):
    """The differential test: the engine on the embedded store and on the endpoint (whose entity
    index is rebuilt from the graph over SPARQL)."""
    checked = 0
    for fol in formulas():
        here = answer(fol, store, mode="scored", limit=0)
        there = answer(fol, remote, mode="scored", limit=0)
        assert [(r.image, round(r.score, 9)) for r in there.results] == [
            (r.image, round(r.score, 9)) for r in here.results
        ], fol
        checked += 1
    assert checked > 150


def test_clause_sparql_is_portable(remote, store):
    """Each clause's SPARQL selects the same images on Oxigraph server as on the embedded store
    (clauses of up to 3 variables: the SPARQL of a 4-car column takes about a minute)."""
    for line in (QUERIES / "benchmark.jsonl").read_text().splitlines():
        fol = json.loads(line)["fol"]
        found = answer(fol, store, mode="crisp", limit=0)
        for clause, sparql in zip(found.clauses, found.sparql):
            if len(clause["variables"]) > 3:
                continue
            here = {row["image"].value for row in store.query(sparql)}
            there = {row["image"].value for row in remote.query(sparql)}
            assert there == here, fol


def test_reingest_replaces_each_image_whole(oxigraph, remote):
    before = len(remote)
    assert (
        main(
            [
                "ingest",
                str(LABELS / "P0706.txt"),
                "--images",
                str(IMAGES),
                "--endpoint",
                oxigraph + "/query",
                "--update-endpoint",
                oxigraph + "/update",
                "--quiet",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert len(remote) == before


def test_a_server_that_is_down_gives_a_clear_error(capsys):
    down = RemoteStore("http://127.0.0.1:9/query", retries=1)
    with pytest.raises(StoreError, match="did not answer"):
        down.query("ASK WHERE { ?s ?p ?o }")
    assert main(["stats", "--endpoint", "http://127.0.0.1:9/query"]) == 2
    assert "did not answer" in capsys.readouterr().err
    read_only = RemoteStore("http://127.0.0.1:9/query")
    with pytest.raises(StoreError, match="update-endpoint"):
        read_only.put_graphs([(ox.NamedNode("urn:g"), "<urn:a> <urn:b> <urn:c> .\n")])


def test_a_query_past_the_timeout_stops_with_an_error(oxigraph):
    slow = RemoteStore(oxigraph + "/query", timeout=1, retries=0)
    with pytest.raises(StoreError, match="did not answer"):
        slow.query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")


def test_a_geof_function_the_server_lacks_is_explained(oxigraph):
    """geof:buffer is rune-kg's own (kg/geofunctions.py): a server without it fails, and says
    why."""
    remote = RemoteStore(oxigraph + "/query", retries=0)
    with pytest.raises(StoreError, match="exist only on an embedded store"):
        remote.query('SELECT (geof:buffer("POINT(1 1)"^^geo:wktLiteral, 1, uom:metre) AS ?b) {}')


def test_an_endpoint_without_a_union_default_graph_is_refused(tmp_path):
    process, base = start_oxigraph(tmp_path / "plain", union=False)
    try:
        store = RemoteStore(base + "/query", base + "/update")
        store.put_graphs([(ox.NamedNode("urn:g"), "<urn:a> <urn:b> <urn:c> .\n")])
        with pytest.raises(StoreError, match="union-default-graph"):
            store.query("SELECT * WHERE { ?s ?p ?o }")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_load_and_export_round_trip(oxigraph, remote, tmp_path, capsys):
    turtle = tmp_path / "airports.ttl"
    turtle.write_text("@prefix ex: <http://example.org/> .\nex:schiphol ex:near ex:amsterdam .\n")
    endpoint = ["--endpoint", oxigraph + "/query", "--update-endpoint", oxigraph + "/update"]
    assert main(["load", str(turtle), *endpoint]) == 0
    assert remote.query(
        "ASK WHERE { GRAPH <https://w3id.org/rune-kg/data/graph/load/airports> "
        "{ <http://example.org/schiphol> ?p ?o } }"
    )
    capsys.readouterr()
    assert main(["export", "--format", "nquads", "--endpoint", oxigraph + "/query"]) == 0
    exported = list(ox.parse(capsys.readouterr().out.encode(), format=ox.RdfFormat.N_QUADS))
    assert len(exported) == len(remote)
    assert (
        main(["export", "--format", "turtle", "--out", str(tmp_path / "all.ttl"), *endpoint]) == 0
    )
    assert (tmp_path / "all.ttl").stat().st_size > 1000


def test_serve_on_the_endpoint(oxigraph, store):
    app = create_app({"ENDPOINT": oxigraph + "/query"})
    client = app.test_client()
    found = client.get(
        "/api/search", query_string={"q": "a ship near a harbor", "limit": 50}
    ).get_json()
    expected = [
        r.image for r in answer("ship(a) & harbor(b) & near(a, b)", store, limit=50).results
    ]
    assert [r["image"] for r in found["results"]] == expected
    sparql = client.get(
        "/sparql", query_string={"query": "SELECT (COUNT(?i) AS ?n) WHERE { ?i a rune:Image }"}
    )
    assert (
        sparql.status_code == 400
    )  # forwarded as is: the remote endpoint has no default rune: prefix
    counted = client.get(
        "/sparql",
        query_string={
            "query": "SELECT (COUNT(?i) AS ?n) WHERE "
            "{ ?i a <https://w3id.org/rune-kg/ontology#Image> }"
        },
    )
    assert counted.status_code == 200
    assert counted.get_json()["results"]["bindings"][0]["n"]["value"] == "25"
    assert client.get("/data/image/P0706", headers={"Accept": "text/turtle"}).status_code == 200
    no_update_url = create_app({"ENDPOINT": oxigraph + "/query", "UPDATE_TOKEN": "t"}).test_client()
    refused = no_update_url.post(
        "/sparql",
        data="INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }",
        content_type="application/sparql-update",
        headers={"Authorization": "Bearer t"},
    )
    assert refused.status_code == 503 and "update-endpoint" in refused.text


def test_federation_with_a_second_local_server(oxigraph, store_dir):
    """SERVICE from the embedded server's endpoint to the Oxigraph server, on the allow-list."""
    remote = oxigraph + "/query"
    app = create_app({"STORE": str(store_dir), "SERVICE_ALLOW": [remote], "QUERY_WORKERS": 1})
    try:
        query = (
            "SELECT ?n WHERE { SERVICE <%s> { SELECT (COUNT(?i) AS ?n) WHERE "
            "{ ?i a <https://w3id.org/rune-kg/ontology#Image> } } }".replace("%s", remote)
        )
        response = app.test_client().get("/sparql", query_string={"query": query})
        assert response.status_code == 200, response.text
        assert response.get_json()["results"]["bindings"][0]["n"]["value"] == "25"
    finally:
        app.extensions["rune"].close()


def test_eval_on_the_endpoint(oxigraph, tmp_path):
    out = tmp_path / "out"
    assert (
        main(
            [
                "eval",
                "--collection",
                "sample",
                "--levels",
                "1",
                "2",
                "--uncertainty",
                "0",
                "0.4",
                "--methods",
                "rune-scored",
                "bag-of-classes",
                "--per-level",
                "1",
                "--out",
                str(out),
                "--workdir",
                str(tmp_path / "work"),
                "--endpoint",
                oxigraph + "/query",
                "--update-endpoint",
                oxigraph + "/update",
                "--quiet",
            ]
        )
        == 0
    )
    summary = json.loads((out / "metrics.json").read_text())["summary"]
    assert any(
        s["method"] == "rune-scored" and s["uncertainty"] == 0.0 and s["mAP"] == 1.0
        for s in summary
    )
