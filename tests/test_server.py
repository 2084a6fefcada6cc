"""The server's search API, linked data, VoID, export and pictures, through the Flask test client
over the real sample store."""

from __future__ import annotations

import io

import pyoxigraph as ox
from PIL import Image

from rune_kg.query.engine import answer
from rune_kg.vocab import DATA_NS

VOID = "http://rdfs.org/ns/void#"


def test_search_a_question(client):
    response = client.get("/api/search", query_string={"q": "a ship near a harbor", "limit": 10})
    assert response.status_code == 200
    data = response.get_json()
    assert data["question"] == "a ship near a harbor" and data["translator"] == "embedded"
    assert data["fol"] == "ship(a) & harbor(b) & near(a, b)"
    assert data["clauses"][0]["sparql"].startswith("PREFIX rune:")
    assert {"parse", "plan", "clauses", "rank", "total", "translate", "request"} <= set(
        data["timing_ms"]
    )
    assert len(data["results"]) == min(10, data["matched"]) and data["matched"] >= 3
    for result in data["results"]:
        assert result["href"] == f"http://localhost/data/image/{result['image']}"
        assert sorted(w["variable"] for w in result["witness"]) == ["a", "b"]
        assert all(
            w["href"].startswith("http://localhost/data/entity/dota/") for w in result["witness"]
        )
        assert (result["explain"] is None) == (
            result["image"] not in ("P0005", "P0248", "P0706", "P1888")
        )
    drawn = next(r for r in data["results"] if r["explain"])
    picture = client.get(drawn["explain"] + "&size=256")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert max(Image.open(io.BytesIO(picture.data)).size) == 256


def test_search_a_formula_by_post_matches_the_engine(client, store):
    fol = "ship(s) & harbor(h) & near(s, h) & ~exists t: (ship(t) & near(t, s))"
    expected = [r.image for r in answer(fol, store, mode="crisp", limit=0).results]
    response = client.post("/api/search", json={"fol": fol, "mode": "crisp", "limit": 500})
    assert response.status_code == 200
    assert [r["image"] for r in response.get_json()["results"]] == expected
    form = client.post("/api/search", data={"fol": fol, "mode": "crisp", "limit": "500"})
    assert [r["image"] for r in form.get_json()["results"]] == expected


def test_search_errors_say_what_was_wrong(client):
    untranslatable = client.get("/api/search", query_string={"q": "a spaceship next to a harbor"})
    assert untranslatable.status_code == 400 and untranslatable.get_json()["unknown"] == [
        "spaceship"
    ]
    assert untranslatable.get_json()["suggestions"] == ["a harbor"]
    red = client.get("/api/search", query_string={"q": "a red car next to a harbor"}).get_json()
    assert red["unknown"] == ["red"] and red["suggestions"][0] == "a car next to a harbor"
    bad_formula = client.get("/api/search", query_string={"fol": "ship(a) & "})
    assert bad_formula.status_code == 400 and "position" in bad_formula.get_json()
    for params in (
        {},
        {"q": "a ship", "fol": "ship(a)"},
        {"q": "a ship", "mode": "fuzzy"},
        {"q": "a ship", "limit": "0"},
        {"q": "a ship", "limit": "many"},
        {"q": "a ship", "source": "yolo"},
    ):
        response = client.get("/api/search", query_string=params)
        assert response.status_code == 400 and response.get_json()["error"], params
    assert client.post("/api/search", json=["not", "an", "object"]).status_code == 400


def test_data_iris_dereference_with_content_negotiation(client):
    iri = DATA_NS + "image/P0706"
    turtle = client.get("/data/image/P0706", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle" and turtle.headers["Vary"] == "Accept"
    triples = [q.triple for q in ox.parse(turtle.data, format=ox.RdfFormat.TURTLE)]
    assert any(t.subject.value == iri and t.predicate.value.endswith("#imageId") for t in triples)
    assert any(
        t.object.value == iri and t.predicate.value.endswith("#inImage") for t in triples
    )  # its entities
    json_ld = client.get("/data/image/P0706", headers={"Accept": "application/ld+json"})
    assert {q.triple for q in ox.parse(json_ld.data, format=ox.RdfFormat.JSON_LD)} == set(triples)
    page = client.get(
        "/data/image/P0706", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert (
        page.mimetype == "text/html"
        and b'href="http://localhost/data/entity/dota/P0706/' in page.data
    )
    assert b"/images/P0706.png" in page.data


def test_entities_and_runs_dereference(client):
    entity = client.get("/data/entity/dota/P0706/0", headers={"Accept": "text/turtle"})
    assert b"POLYGON" in entity.data and b"wasGeneratedBy" in entity.data  # geometry and provenance
    run = client.get("/data/run/dota", headers={"Accept": "text/html"})
    assert run.status_code == 200 and b"DetectionRun" in run.data
    assert client.get("/data/image/NOPE").status_code == 404
    assert client.get("/data/image/P0706", headers={"Accept": "image/png"}).status_code == 406


def test_void_describes_the_dataset(client, store):
    triples = [q.triple for q in ox.parse(client.get("/void").data, format=ox.RdfFormat.TURTLE)]
    values = {
        t.predicate.value: t.object.value for t in triples if t.subject.value == DATA_NS + "dataset"
    }
    assert int(values[VOID + "triples"]) == len(store) - 1  # all but the store's revision stamp
    assert values[VOID + "sparqlEndpoint"] == "http://localhost/sparql"
    assert values[VOID + "uriSpace"] == DATA_NS
    partitions = [t for t in triples if t.predicate.value == VOID + "classPartition"]
    assert len(partitions) >= 10


def test_export_streams_the_whole_store(client, store):
    nquads = client.get("/export", query_string={"format": "nquads"})
    assert nquads.mimetype == "application/n-quads"
    assert len(list(ox.parse(nquads.data, format=ox.RdfFormat.N_QUADS))) == len(store)
    turtle = client.get("/export", headers={"Accept": "text/turtle"})
    union = {q.triple for q in store.quads()}
    assert {q.triple for q in ox.parse(turtle.data, format=ox.RdfFormat.TURTLE)} == union
    assert client.get("/export", query_string={"format": "xml"}).status_code == 400


def test_pictures_and_explanations(client):
    plain = client.get("/images/P0706.png")
    assert plain.status_code == 200 and Image.open(io.BytesIO(plain.data)).size == (1111, 1182)
    boxes = client.get("/images/P0706.png", query_string={"boxes": "1"})
    assert boxes.data != plain.data
    explained = client.get("/images/P0706/explain.png", query_string={"q": "a ship near a harbor"})
    assert explained.status_code == 200
    missing = client.get("/images/P0706/explain.png", query_string={"fol": "plane(p)"})
    assert missing.status_code == 200  # drawn, captioned "does not satisfy"
    assert client.get("/images/P0001.png").status_code == 404  # ingested without a picture
    assert client.get("/images/..%2Fetc.png").status_code == 404
    assert client.get("/images/P0706/explain.png", query_string={"fol": "ship("}).status_code == 400
    assert client.get("/images/P0706.png", query_string={"size": "3"}).status_code == 400


def test_the_page_and_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and b'id="q"' in page.data
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/ontology").mimetype == "text/turtle"
