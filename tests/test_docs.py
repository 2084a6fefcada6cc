"""The user's documentation stays true to the code it describes."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rune_kg.query.parse import parse
from rune_kg.vocab.relations import markdown_table

from .conftest import start_oxigraph

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_query_language_lists_the_relation_catalogue():
    text = (DOCS / "query-language.md").read_text()
    start = text.index("<!-- relations: generated from the ontology -->\n")
    table = text[start : text.index("<!-- end of relations -->")].split("\n", 1)[1]
    assert table == markdown_table(), (
        "docs/query-language.md: paste rune_kg.vocab.relations.markdown_table()"
    )


def test_formulas_in_the_query_language_parse():
    text = (DOCS / "query-language.md").read_text()
    examples = [
        "ship(a) & harbor(b) & left_of(a, b)",
        "car(a) & car(b) & car(c) & car(d) & below(b, a) & below(c, b) & below(d, c)",
        "ship(a) & ~exists b: (ship(b) & near(a, b))",
        "exists<=0 x: plane(x)",
        "(exists>=1 s: ship(s)) & forall t: (ship(t) -> exists h: (harbor(h) & near(t, h)))",
    ]
    flat = " ".join(text.split())
    for example in examples:
        assert f"`{example}`" in flat.replace("( ", "("), example
        parse(example)


# --- the user guides' examples: every ```console block of docs/*.md runs ------------------------

ROOT = DOCS.parent
GUIDES = sorted(p.name for p in DOCS.glob("*.md") if "```console" in p.read_text())
SHARED = ROOT.parent / "shared" / "data"
_NEEDS = {
    "detector": lambda: importlib.util.find_spec("mmrotate") is not None,
    "eval": lambda: importlib.util.find_spec("matplotlib") is not None,
    "xbd": lambda: (SHARED / "xbd").is_dir(),
}


def console_blocks(text: str) -> list[tuple[str | None, list[str]]]:
    """Each console block's `<!-- needs: X -->` (or None) and its commands ("$ " lines)."""
    blocks = []
    for match in re.finditer(r"(?:<!-- needs: (.+?) -->\n)?```console\n(.*?)```", text, re.S):
        commands = [line[2:] for line in match.group(2).splitlines() if line.startswith("$ ")]
        blocks.append((match.group(1), commands))
    return blocks


def test_every_guide_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in DOCS.glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name
    assert len(readme.splitlines()) < 130  # read top to bottom in five minutes


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_examples_run(guide, tmp_path, request):
    """Run from a scratch folder holding links to the repository's data, code and benchmarks,
    so that the relative paths of the examples work and what they write stays out of the
    repository. A block that needs the Oxigraph server runs against one started here."""
    for name in ("rune_kg", "benchmarks", "queries"):
        (tmp_path / name).symlink_to(ROOT / name)
    if (SHARED / "xbd").is_dir():  # the disaster guide's data, as a user's `xbd` folder
        (tmp_path / "xbd").symlink_to(SHARED / "xbd")
    env = {**os.environ, "RUNE_STORE": str(tmp_path / "rune-store")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    ran = 0
    for needs, commands in console_blocks((DOCS / guide).read_text()):
        replace = {}
        if needs and needs.startswith("oxigraph server"):
            process, base = start_oxigraph(tmp_path / "oxigraph-data")
            request.addfinalizer(process.kill)
            replace["http://127.0.0.1:7878"] = base
        elif needs and not _NEEDS[needs]():
            continue
        for command in commands:
            for old, new in replace.items():
                command = command.replace(old, new)
            done = subprocess.run(
                command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{guide}: {command}\n{done.stdout}\n{done.stderr}"
            ran += 1
    assert ran or guide == "detect.md", f"{guide}: no example ran"
