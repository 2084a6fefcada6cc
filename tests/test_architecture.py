"""The layout of docs/architecture.md holds: imports flow one way between the stages' packages,
and no modules import each other in a cycle (imports inside functions count too)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rune_kg"

# Each top-level part of rune_kg and the parts it may import: lower layers never import higher.
ALLOWED = {
    "errors": set(),
    "options": set(),
    "vocab": {"errors"},
    "kg": {"errors", "options", "vocab"},
    "ingest": {"errors", "vocab", "kg"},
    "detect": {"errors", "vocab", "kg", "ingest"},
    "query": {"errors", "options", "vocab", "kg"},
    "translate": {"errors", "options", "vocab", "kg", "query"},
    "ask": {"errors", "vocab", "kg", "query", "translate"},
    "endpoint": {"errors", "vocab", "kg"},
    "evaluation": {"errors", "vocab", "kg", "ingest", "query", "translate", "ask"},
    "server": {"errors", "options", "vocab", "kg", "query", "translate", "ask", "endpoint"},
    "cli": {
        "errors",
        "options",
        "vocab",
        "kg",
        "ingest",
        "detect",
        "query",
        "translate",
        "ask",
        "endpoint",
        "evaluation",
        "server",
    },
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The rune_kg modules that `name` imports anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                    + ([base] if base else [])
                )
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def test_imports_flow_one_way():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        part = _part(name)
        if part in ("__init__", "__main__"):
            continue
        for target in _imports(name, path, modules):
            other = _part(target)
            if other != part and other != "__init__" and other not in ALLOWED[part]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []
    assert {_part(m) for m in modules} - {"__init__"} == set(ALLOWED)  # a new package needs a layer


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if target.startswith(node + ".") or node.startswith(target + "."):
                continue  # a package and its own modules
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_both_stores_offer_the_knowledge_graph_interface():
    from rune_kg.kg import KnowledgeGraph, Store
    from rune_kg.kg.remote import RemoteStore

    members = {name for name in vars(KnowledgeGraph) if not name.startswith("_")} | {"__len__"}
    members |= set(KnowledgeGraph.__annotations__)
    for store in (Store(), RemoteStore("http://127.0.0.1:9/query")):  # properties are not read
        missing = {m for m in members if not hasattr(type(store), m) and m not in vars(store)}
        assert missing == set(), type(store).__name__


def test_a_query_loads_no_heavy_module(store_dir):
    """`rune query` starts fast: none of the detector's, the LLMs', the server's, the plots' or
    the geometry's libraries is imported on its path (docs/benchmarks.md, start-up)."""
    heavy = {
        "torch",
        "transformers",
        "mmcv",
        "mmdet",
        "mmrotate",
        "llama_cpp",
        "flask",
        "matplotlib",
        "shapely",
        "rasterio",
        "PIL",
        "SPARQLWrapper",
        "tqdm",
        "regex",
    }
    argv = ["query", "--fol", "ship(a) & harbor(b) & near(a, b)", "--store", str(store_dir)]
    script = (
        "import sys, contextlib, io\n"
        "from rune_kg.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({argv!r})\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert not heavy & set(done.stdout.split())


def test_the_options_name_what_the_stages_offer():
    """rune_kg.options, which the command line offers without importing the stages, names what
    the stages' own tables hold (the modes and translators the stages take from it)."""
    from rune_kg import options
    from rune_kg.kg.store import GRAPH_FORMATS, RESULT_FORMATS
    from rune_kg.query.tnorms import TNORMS

    assert tuple(TNORMS) == options.TNORMS
    assert tuple(RESULT_FORMATS) == options.RESULT_FORMATS
    assert tuple(GRAPH_FORMATS) == options.GRAPH_FORMATS


def test_a_query_through_a_server_imports_no_stage():
    """`rune query --server` is a client: it builds the command line and sends the question,
    importing none of the stages, numpy or pyoxigraph (docs/benchmarks.md, start-up)."""
    script = (
        "import sys, contextlib, io\n"
        "from rune_kg.cli import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        "    main(['query', '--fol', 'ship(a)', '--server', 'http://127.0.0.1:9'])\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    ours = {m for m in loaded if m.startswith("rune_kg.") and not m.startswith("rune_kg.cli")}
    assert ours <= {"rune_kg.errors", "rune_kg.options", "rune_kg.evaluation"}
    assert not {"numpy", "pyoxigraph", "lark", "flask"} & loaded
