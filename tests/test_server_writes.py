"""Updates through /sparql: one semantics of the default graph for queries and updates, and
writes that refresh the entity index for the graphs they change while the query workers keep
running."""

from __future__ import annotations

from rune_kg.server import create_app

from .conftest import LABELS

UPDATE = "application/sparql-update"
TOKEN = {"Authorization": "Bearer s3cret"}
P0001 = "https://w3id.org/rune-kg/data/graph/dota/P0001"


def ask(client, query: str) -> bool:
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200, response.text
    return response.get_json()["boolean"]


def update(client, text: str, **params):
    return client.post(
        "/sparql", query_string=params, data=text, content_type=UPDATE, headers=TOKEN
    )


def test_updates_must_name_their_graphs_where_the_default_graph_is_the_union(writable):
    note = "ASK { <urn:a> rdfs:comment ?c }"
    assert update(writable, "INSERT DATA { GRAPH <urn:notes> { <urn:a> rdfs:comment 'x' } }")
    assert ask(writable, note)  # a query's default graph: the union
    for text in (
        "DELETE WHERE { <urn:a> rdfs:comment ?c }",
        "INSERT DATA { <urn:a> rdfs:comment 'y' }",
        "INSERT { GRAPH <urn:notes> { ?a rdfs:label 'z' } } WHERE { ?a rdfs:comment ?c }",
        "CLEAR DEFAULT",
        "MOVE DEFAULT TO <urn:notes>",
        "COPY DEFAULT TO <urn:notes>",  # would empty <urn:notes>: the unnamed graph is empty
    ):
        refused = update(writable, text)
        assert refused.status_code == 400 and "union of all graphs" in refused.text, text
    assert ask(writable, note)
    named = "DELETE WHERE { GRAPH ?g { <urn:a> rdfs:comment ?c } }"
    assert update(writable, named).status_code == 204
    assert not ask(writable, note)
    using = "INSERT { GRAPH <urn:copy> { ?i a rune:Image } } WHERE { ?i a rune:Image }"
    assert update(writable, using, **{"using-graph-uri": P0001}).status_code == 204
    assert ask(writable, "ASK { GRAPH <urn:copy> { ?i a rune:Image } }")


def test_a_store_default_graph_is_the_same_for_queries_and_updates(tmp_path):
    from rune_kg.ingest import ingest
    from rune_kg.kg import Store

    ingest([LABELS / "P0001.txt"], Store(tmp_path / "db"), progress=False, workers=1)
    app = create_app(
        {"STORE": str(tmp_path / "db"), "UPDATE_TOKEN": "s3cret", "DEFAULT_GRAPH": "store"}
    )
    client = app.test_client()
    try:
        assert not ask(client, "ASK { ?i a rune:Image }")  # in named graphs only
        assert ask(client, "ASK { GRAPH ?g { ?i a rune:Image } }")
        assert update(client, "INSERT DATA { <urn:a> <urn:b> <urn:c> }").status_code == 204
        assert ask(client, "ASK { <urn:a> <urn:b> <urn:c> }")
        assert update(client, "DELETE WHERE { <urn:a> ?p ?o }").status_code == 204
        assert not ask(client, "ASK { <urn:a> ?p ?o }")
    finally:
        app.extensions["rune"].close()


def test_a_write_refreshes_the_index_of_its_graph_and_keeps_the_workers(writable):
    runtime = writable.application.extensions["rune"]
    search = {"fol": "exists a: helicopter(a)", "mode": "crisp"}
    images = [r["image"] for r in writable.get("/api/search", query_string=search).json["results"]]
    assert "P0001" not in images
    assert ask(writable, "ASK {}")
    workers = [w.process.pid for w in list(runtime.pool._idle.queue) if w is not None]
    relabel = f"""DELETE {{ GRAPH <{P0001}> {{ ?e rune:className ?c }} }}
        INSERT {{ GRAPH <{P0001}> {{ ?e rune:className "helicopter" }} }}
        WHERE {{ GRAPH <{P0001}> {{ ?e rune:className ?c FILTER(?c = "ship") }} }}"""
    assert update(writable, relabel).status_code == 204
    generation, _ = runtime.store.cache["index"]
    assert generation == runtime.store.generation  # refreshed in place, not dropped
    images = [r["image"] for r in writable.get("/api/search", query_string=search).json["results"]]
    assert images == ["P0001"]
    assert ask(writable, f"ASK {{ GRAPH <{P0001}> {{ ?e rune:className 'helicopter' }} }}")
    assert [w.process.pid for w in list(runtime.pool._idle.queue) if w is not None] == workers
    assert update(writable, f"DROP GRAPH <{P0001}>").status_code == 204
    assert not writable.get("/api/search", query_string=search).json["results"]
