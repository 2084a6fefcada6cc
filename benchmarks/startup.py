"""Start-up: what a `rune query` process costs beyond the engine's own time.

    python benchmarks/startup.py [--labels DIR] [--workdir /tmp/rune-bench-dota-v1] [--runs 12]

On the DOTA v1.0 store of benchmarks/queries.py (ingested in WORKDIR/store when missing), runs
`rune query --fol F --json` --runs times for each of three formulas, as a user would (Python
writes its bytecode cache as usual: PYTHONDONTWRITEBYTECODE is cleared for the children), and
reports the median wall time, the median of the engine's own time (`timing_ms.total` of the
answer) and of their difference; the same for `rune query --server URL` asking a `rune serve`
of the same store, started on 127.0.0.1 (its first answer, which loads the index, not
counted); then the slowest imports of one run of each (`python -X importtime`), and how long
the memory-mapped entity index takes to load.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import dota_v1_labels, store_arguments  # noqa: E402

from queries import build  # noqa: E402

FORMULAS = ["ship(a)", "ship(a) & harbor(b) & near(a, b)", "exists>=3 a: small_vehicle(a)"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(where: list[str], formula: str, *flags: str) -> tuple[float, dict, str]:
    """Wall seconds, the answer's JSON and stderr of one `rune query` process; `where`: its
    --store or --server option."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-m", "rune_kg.cli", "query", "--fol", formula, *where, "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return time.perf_counter() - started, json.loads(done.stdout), done.stderr


def measured(where: list[str], runs: int) -> dict:
    """Medians over `runs` rounds of the three formulas, and the slowest imports of one more."""
    run(where, FORMULAS[0])  # bytecode written, index file in the page cache, server warm
    walls, engines = [], []
    for _ in range(runs):
        for formula in FORMULAS:
            wall, answer, _ = run(where, formula)
            walls.append(wall * 1000)
            engines.append(answer["timing_ms"]["total"])
    _, _, imports = run(where, FORMULAS[0], "-X", "importtime")
    rows = [line.split("|") for line in imports.splitlines() if line.startswith("import time:")]
    slowest = sorted(
        ((int(r[1]), r[2].strip()) for r in rows if r[1].strip().isdigit()), reverse=True
    )
    return {
        "runs": len(walls),
        "wall_ms_p50": round(statistics.median(walls), 1),
        "engine_ms_p50": round(statistics.median(engines), 1),
        "beyond_engine_ms_p50": round(statistics.median(w - e for w, e in zip(walls, engines)), 1),
        "slowest_imports_ms": {name: round(us / 1000, 1) for us, name in slowest[:8]},
    }


def served(store: Path, runs: int) -> dict:
    """measured() for `rune query --server` against a `rune serve` of `store` on 127.0.0.1."""
    command = [sys.executable, "-m", "rune_kg.cli", "serve", "--store", str(store), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        line = server.stdout.readline()  # rune-kg serving STORE on http://127.0.0.1:PORT/ ...
        if " on http://" not in line:
            raise SystemExit(f"rune serve did not start: {line}")
        return measured(["--server", line.split(" on ", 1)[1].split()[0]], runs)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args()
    store = build(args.workdir, dota_v1_labels(args.labels))
    own = measured(["--store", str(store)], args.runs)
    server = served(store, args.runs)
    bare = statistics.median(_timed([sys.executable, "-c", "pass"]) for _ in range(args.runs))
    from rune_kg.kg import Store
    from rune_kg.kg.index import load_index

    started = time.perf_counter()
    opened = Store(store, read_only=True)
    open_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    load_index(opened, progress=False)
    report = {
        "store": own,
        "server": server,
        "bare_python_ms": round(bare, 1),
        "index_load_ms": round((time.perf_counter() - started) * 1000, 1),
        "store_open_ms": round(open_ms, 1),
    }
    print(json.dumps(report, indent=2))


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=ENV)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
