import json
import subprocess
import sys

from .conftest import IMAGES, LABELS


def rune(*args):
    return subprocess.run(
        [sys.executable, "-m", "rune_kg.cli", *args], capture_output=True, text=True
    )


def test_stats_json(store_dir):
    out = rune("stats", "--store", str(store_dir), "--json")
    stats = json.loads(out.stdout)
    assert {"images", "entities", "classes", "triples"} <= set(stats) and stats["images"] == 25


def test_sparql_formats_and_errors(store_dir):
    q = "SELECT ?id WHERE { ?i rune:imageId ?id } ORDER BY ?id LIMIT 2"
    assert rune("sparql", q, "--store", str(store_dir), "--format", "csv").stdout.splitlines()[
        :3
    ] == ["id", "P0000", "P0001"]
    assert (
        json.loads(rune("sparql", q, "--store", str(store_dir)).stdout)["results"]["bindings"][0][
            "id"
        ]["value"]
        == "P0000"
    )
    graph = rune(
        "sparql",
        "CONSTRUCT { ?i a rune:Image } WHERE { ?i a rune:Image }",
        "--store",
        str(store_dir),
        "--format",
        "ntriples",
    )
    assert len(graph.stdout.strip().splitlines()) == 25
    bad = rune("sparql", "SELEC ?x", "--store", str(store_dir))
    assert bad.returncode == 2 and "a query starts with SELECT" in bad.stderr
    refused = rune("sparql", "DELETE WHERE { ?s ?p ?o }", "--store", str(store_dir))
    assert refused.returncode == 2


def test_updates_name_their_graphs_as_on_the_server(tmp_path):
    store = str(tmp_path / "db")
    assert rune("ingest", str(LABELS / "P0706.txt"), "--store", store, "--quiet").returncode == 0
    unnamed = rune("sparql", "--update", "DELETE WHERE { ?s rune:confidence ?c }", "--store", store)
    assert unnamed.returncode == 2 and "union of all graphs" in unnamed.stderr
    named = "DELETE WHERE { GRAPH ?g { ?s rune:confidence ?c } }"
    assert rune("sparql", "--update", named, "--store", store).returncode == 0
    left = rune("sparql", "ASK { ?s rune:confidence ?c }", "--store", store)
    assert '"boolean":false' in left.stdout.replace(" ", "")


def test_ingest_compacts_the_store_on_request(tmp_path):
    store = str(tmp_path / "db")
    done = rune("ingest", str(LABELS), "--store", store, "--quiet", "--compact")
    assert done.returncode == 0 and "compacted in" in done.stdout
    found = rune("query", "--fol", "ship(a) & harbor(b) & near(a, b)", "--store", store, "--json")
    assert json.loads(found.stdout)["matched"] > 0
    remote = rune("ingest", str(LABELS), "--endpoint", "http://127.0.0.1:9/q", "--compact")
    assert remote.returncode == 2 and "--compact is for an embedded store" in remote.stderr


def test_query_errors_are_one_line(store_dir):
    out = rune("query", "--fol", "ship(a) & harbour(b) & to_left(a, b)", "--store", str(store_dir))
    assert (
        out.returncode == 2
        and "did you mean left_of" in out.stderr
        and len(out.stderr.strip().splitlines()) == 1
    )


def test_query_json(store_dir):
    out = rune(
        "query",
        "--fol",
        "ship(a) & harbor(b) & near(a, b)",
        "--store",
        str(store_dir),
        "--json",
        "--mode",
        "crisp",
    )
    answer = json.loads(out.stdout)
    assert {"fol", "clauses", "sparql", "results", "timing_ms"} <= set(answer)
    assert answer["results"][0]["image"] == "P0001" and answer["results"][0]["witness"]


def test_explain_draws_the_witness(store_dir, tmp_path):
    from PIL import Image

    out = tmp_path / "why.png"
    done = rune(
        "explain",
        "P0706",
        "--fol",
        "ship(s) & harbor(h) & near(s, h)",
        "--store",
        str(store_dir),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "near(s, h)" in done.stdout and "/entity/dota/P0706/" in done.stdout
    with Image.open(out) as drawn, Image.open(IMAGES / "P0706.png") as original:
        assert drawn.size == original.size


def test_explain_when_the_image_does_not_match_or_is_unknown(store_dir, tmp_path):
    no = rune("explain", "P0706", "--fol", "plane(p)", "--store", str(store_dir))
    assert no.returncode == 1 and "does not hold on P0706" in no.stdout
    unknown = rune("explain", "NOPE", "--fol", "plane(p)", "--store", str(store_dir))
    assert unknown.returncode == 2 and "no image 'NOPE'" in unknown.stderr
    no_picture = rune(
        "explain",
        "P0001",
        "--fol",
        "ship(s)",
        "--store",
        str(store_dir),
        "--out",
        str(tmp_path / "x.png"),
    )
    assert no_picture.returncode == 2 and "no picture file is known for P0001" in no_picture.stderr


def test_untranslatable_question_names_nearby_questions(store_dir):
    out = rune("query", "a red car next to a harbor", "--store", str(store_dir))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert (
        "'red'" in out.stderr
        and "Nearby questions it understands: 'a car next to a harbor'" in out.stderr
    )


def _printed(out: str) -> list[str]:
    """`rune query`'s text, less the engine's time (which differs between two runs)."""
    return [line.split(" (")[0] if " images match " in line else line for line in out.splitlines()]


def test_query_through_a_server_answers_as_the_store(store_dir, live_server):
    asked = ("a ship near a harbor", "--mode", "crisp", "--limit", "3")
    own = rune("query", *asked, "--store", str(store_dir))
    served = rune("query", *asked, "--server", live_server)
    assert own.returncode == served.returncode == 0, served.stderr
    assert _printed(served.stdout) == _printed(own.stdout)
    assert "showing 3 of" in served.stdout
    fol = ("--fol", "ship(a) & ~exists b: (ship(b) & near(a, b))", "--json", "--limit", "5")
    own = json.loads(rune("query", *fol, "--store", str(store_dir)).stdout)
    served = json.loads(rune("query", *fol, "--server", live_server.rstrip("/") + "/").stdout)
    assert served["matched"] == own["matched"] > 0

    def witnesses(answer):
        return [[w["entity"] for w in r["witness"]] for r in answer["results"]]

    assert witnesses(served) == witnesses(own)
    assert served["results"][0]["href"]  # the server's links come along


def test_query_through_a_server_says_what_went_wrong(live_server):
    def error(*args):
        out = rune("query", *args)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
        return out.stderr

    assert "Nearby questions it understands" in error("a red car", "--server", live_server)
    assert "400: expected ')'" in error("--fol", "ship(a", "--server", live_server)
    assert "drop --store, --samples" in error(
        "--fol", "ship(a)", "--server", live_server, "--store", "x", "--samples", "3"
    )
    assert "cannot reach the rune server" in error(
        "--fol", "ship(a)", "--server", "http://127.0.0.1:9"
    )
    assert "takes the URL of a rune serve" in error("--fol", "ship(a)", "--server", "127.0.0.1:80")
