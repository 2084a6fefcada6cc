"""What a new user meets first: a failed ingest that changes nothing, summaries that count what
matters, SPARQL errors that name the fix, output that hides nothing, missing extras named in one
line, contradictory formulas reported."""

import subprocess
import sys
from pathlib import Path

import pytest

from rune_kg.kg import Store
from rune_kg.query.consistency import contradiction
from rune_kg.query.engine import answer
from rune_kg.query.parse import parse
from rune_kg.translate.prompt import QUERIES_DIR, question_set
from rune_kg.translate.vote import select

from .conftest import LABELS
from .test_cli import rune


def _snapshot(path: Path) -> tuple[str | None, bytes, str]:
    store = Store(path, read_only=True)
    dump = b"".join(
        sorted(str(q).encode() + b"\n" for q in store._store.quads_for_pattern(None, None, None))
    )
    stats = rune("stats", "--store", str(path)).stdout
    revision = store.revision
    del store
    return revision, dump, stats


def test_a_failed_ingest_leaves_the_store_as_it_was(tmp_path):
    path = tmp_path / "db"
    assert rune("ingest", str(LABELS / "P0706.txt"), "--store", str(path)).returncode == 0
    before = _snapshot(path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "B1.txt").write_text("1 2 3 ship\n")
    (bad / "B2.txt").write_text("0 0 1 0 1 1 0 1 spaceship\n")
    for source in ([], ["--source", "bad-det"]):
        out = rune("ingest", str(bad), "--store", str(path), *source)
        assert out.returncode == 1 and "ingested 0 images" in out.stdout
        assert out.stderr.count("error:") == 2  # both files named
    out = rune("ingest", str(bad / "B2.txt"), "--store", str(path))  # the "dota" run exists
    assert out.returncode == 1
    assert _snapshot(path) == before  # no run record, same revision, same triples


def test_task1_files_report_every_bad_file_and_store_none_of_the_run(tmp_path):
    folder = tmp_path / "det"
    folder.mkdir()
    (folder / "Task1_ship.txt").write_text("P1 0.9 0 0 10 0 10 5 0 5\n")
    (folder / "Task1_plane.txt").write_text("P1 2.0 0 0 10 0 10 5 0 5\n")
    (folder / "Task1_harbor.txt").write_text("P1 0.5 0 0\n")
    out = rune("ingest", str(folder), "--store", str(tmp_path / "db"), "--source", "det")
    assert out.returncode == 1 and "ingested 0 images" in out.stdout
    assert "Task1_plane.txt:1" in out.stderr and "Task1_harbor.txt:1" in out.stderr


def test_the_summary_counts_empty_images_zero_area_boxes_and_the_same_triples_as_stats(tmp_path):
    folder = tmp_path / "labelTxt"
    folder.mkdir()
    (folder / "E1.txt").write_text("")
    (folder / "E2.txt").write_text("imagesource:GoogleEarth\ngsd:0.5\n")
    (folder / "Z1.txt").write_text(
        "0 0 10 0 10 10 0 10 ship 0\n5 5 5 5 5 5 5 5 ship 0\n1 1 9 1 9 1 1 1 plane 0\n"
    )
    out = rune("ingest", str(folder), "--store", str(tmp_path / "db"))
    assert out.returncode == 0, out.stderr
    assert "ingested 3 images" in out.stdout
    assert "2 of them have no objects" in out.stdout
    assert "2 boxes have zero area" in out.stdout
    stats = rune("stats", "--store", str(tmp_path / "db"), "--json").stdout
    import json

    triples = int(out.stdout.split(" triples")[0].rsplit(" ", 1)[-1])
    assert json.loads(stats)["triples"] == triples


@pytest.mark.parametrize(
    "args, says",
    [
        (["DELETE WHERE { ?s ?p ?o }"], "this is an update (DELETE ...), not a query"),
        (["--update", "SELECT * { ?s ?p ?o }"], "not an update: run it as a query"),
        (["SELECT * { ?s a foo:Bar }"], "unknown prefix foo: (declare it"),
        ([""], "empty query"),
        (["  # only a comment"], "empty query"),
        (["SELEC * { ?s ?p ?o }"], "not 'SELEC'"),
        (["ASK {}", "--format", "turtle"], "ASK results: json"),
    ],
)
def test_sparql_errors_name_the_fix(store_dir, args, says):
    out = rune("sparql", "--store", str(store_dir), *args)
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and len(out.stderr) < 400


def test_output_shows_sources_and_what_the_limit_hides(tmp_path):
    path = str(tmp_path / "db")
    for source in ("dota", "copy"):
        assert rune("ingest", str(LABELS), "--store", path, "--source", source).returncode == 0
    out = rune("query", "--fol", "ship(a)", "--store", path, "--limit", "4")
    rows = [line for line in out.stdout.splitlines() if line.startswith("  P")]
    assert len(rows) == 4 and all("(dota)" in r or "(copy)" in r for r in rows)
    matched = int(out.stdout.split(" images match")[0].rsplit("\n", 1)[-1])
    assert f"showing 4 of {matched} (--limit 0 shows all)" in out.stdout
    whole = rune("query", "--fol", "ship(a)", "--store", path, "--limit", "0")
    assert "showing" not in whole.stdout


def test_a_missing_extra_is_one_line_naming_the_install(tmp_path):
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rune_kg.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", blocker, "eval", "--collection", "sample", "--out", "report"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == out.stderr.strip().splitlines()[0]  # one line
    assert "pip install 'rune-kg[eval]'" in out.stderr and "matplotlib" in out.stderr
    assert not (tmp_path / "report").exists() and not (tmp_path / "rune-eval-work").exists()


@pytest.mark.parametrize(
    "fol, says",
    [
        ("left_of(a, b) & right_of(a, b)", "exclude each other"),
        ("ship(a) & harbor(b) & left_of(a, b) & left_of(b, a)", "left_of holds one way only"),
        ("near(a, b) & far_from(b, a)", "disjoint relations"),
        ("ship(a) & plane(a)", "an entity has one class"),
        ("ship(a) & near(a, b) & ~near(a, b)", "contradict each other"),
        ("(exists>=3 x: ship(x)) & (exists<=2 y: ship(y))", "at least 3 and at most 2"),
    ],
)
def test_a_contradictory_formula_is_reported_not_silently_answered(store, fol, says):
    found = answer(fol, store, mode="crisp")
    assert found.matched == 0 and says in found.contradiction
    _, candidates = select([fol, "ship(a)"])
    assert candidates[0].error.startswith("contradictory") and candidates[1].votes == 1


def test_no_question_of_the_sets_is_called_contradictory():
    import json

    formulas = [q["fol"] for q in question_set()]
    for name in ("heldout.jsonl", "benchmark.jsonl", "examples.jsonl"):
        with (QUERIES_DIR / name).open() as f:
            formulas += [json.loads(line).get("fol") for line in f if line.strip()]
    formulas += ["vehicle(a) & small_vehicle(a)", "inside(a, b) & inside(b, a)"]
    formulas += ["left_of(a, b) & above(a, b)", "right_of(a, b) & left_of(b, a)"]
    for fol in filter(None, formulas):
        assert contradiction(parse(fol)) is None, fol


def test_cli_says_a_formula_cannot_hold(store_dir):
    out = rune("query", "--fol", "ship(a) & plane(a)", "--store", str(store_dir))
    assert out.returncode == 0 and "no image can match: ship(a) and plane(a)" in out.stdout


def test_explain_takes_a_question_and_the_server_404_names_no_cli_option(store_dir, client):
    out = rune("explain", "P0706", "a ship left of a harbor", "--store", str(store_dir))
    assert out.returncode == 0 and "left_of(a, b)" in out.stdout
    missing = client.get("/images/P0000.png")
    assert missing.status_code == 404 and "--" not in missing.get_data(as_text=True)


def test_refusals_without_silly_hints():
    from rune_kg.errors import TranslationError
    from rune_kg.translate import translate

    with pytest.raises(TranslationError) as refused:
        translate("a big ship")
    assert "being" not in refused.value.message
    with pytest.raises(TranslationError) as refused:
        translate("???")
    assert "found no words" in refused.value.message and "''" not in refused.value.message


def test_files_the_commands_write_are_ignored_by_git():
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert {"/rune-demo.png", "/why.png", "/rune-eval-work/"} <= set(ignored)
