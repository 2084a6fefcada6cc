"""Embedded store against a remote SPARQL endpoint (Oxigraph server on loopback), on DOTA v1.0:
ingest time, entity-index build time, and query throughput.

    python benchmarks/remote.py [--labels DIR] [--json out.json]
    python benchmarks/remote.py --serve STORE [--memory-gb 16]

Uses the DOTA v1.0 labels of benchmarks/data.py (--labels, else the repository's copy). Starts
`oxigraph serve --union-default-graph` on a free port with an empty folder, ingests the label
files through `rune ingest --endpoint` (batches of SPARQL updates, each image's graph replaced in
one request), then builds the entity index over SPARQL, then answers the formulas of SUITE on both
stores (the median of --repeat runs each) and runs one clause SPARQL per formula on both. The
embedded figures come from a fresh store ingested the same way.

With --serve, an existing embedded store (e.g. the 100,000-image one of `benchmarks/ingest.py
--times 54`) is served by `oxigraph serve-read-only` instead, and only the entity index is
built from it over SPARQL, in a child process whose address space is capped at --memory-gb:
its seconds and peak memory, or how long it ran before it failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import dota_v1_labels  # noqa: E402

from queries import SUITE  # noqa: E402
from rune_kg.ingest import ingest  # noqa: E402
from rune_kg.kg import Store  # noqa: E402
from rune_kg.kg.index import from_store  # noqa: E402
from rune_kg.kg.remote import RemoteStore  # noqa: E402
from rune_kg.query.engine import answer  # noqa: E402

_INDEX_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from rune_kg.kg.index import from_store
from rune_kg.kg.remote import RemoteStore
started = time.perf_counter()
try:
    index = from_store(RemoteStore(sys.argv[1] + "/query", timeout=3600), progress=False)
    outcome = f"{index.worlds} images, {len(index.cls)} entities"
except BaseException as error:  # MemoryError first, at the cap
    outcome = f"failed: {type(error).__name__}: {str(error)[:200]}"
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(outcome)
"""


def index_from_served(store: Path, memory_gb: float) -> dict:
    """Serve `store` read-only and build the entity index from it over SPARQL, in a child
    process capped at memory_gb of address space."""
    process, base = start_oxigraph(store, read_only=True)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _INDEX_CHILD, base, str(int(memory_gb * 2**30))],
            capture_output=True,
            text=True,
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = done.stdout.splitlines()
    if len(lines) < 2:
        return {"remote_index": f"child exited with {done.returncode}: {done.stderr[-300:]}"}
    seconds, peak = map(float, lines[0].split())
    return {"remote_index_s": round(seconds, 1), "peak_mb": round(peak), "remote_index": lines[1]}


def start_oxigraph(folder: Path, read_only: bool = False) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    process = subprocess.Popen(
        [
            binary,
            "serve-read-only" if read_only else "serve",
            "--location",
            str(folder),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1).read()
            return process, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("oxigraph did not start")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, help="DOTA v1.0 labelTxt folder (default: ours)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", type=Path, help="only build the index from this store, served")
    parser.add_argument("--memory-gb", type=float, default=16.0, help="the child's cap (--serve)")
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(index_from_served(args.serve, args.memory_gb), indent=2))
        return
    labels = dota_v1_labels(args.labels)
    scratch = Path(tempfile.mkdtemp(prefix="rune-remote-"))
    report: dict = {}

    embedded = Store(scratch / "embedded")
    report["embedded_ingest_s"] = round(ingest([labels], embedded, progress=False).seconds, 1)
    started = time.perf_counter()
    from_store(embedded, progress=False)
    report["embedded_index_rebuild_s"] = round(time.perf_counter() - started, 1)

    process, base = start_oxigraph(scratch / "oxigraph")
    try:
        remote = RemoteStore(base + "/query", base + "/update", timeout=600)
        result = ingest([labels], remote, progress=True)
        report["remote_ingest_s"] = round(result.seconds, 1)
        report["triples"] = result.triples
        remote.cache.clear()
        started = time.perf_counter()
        from_store(remote, progress=False)
        report["remote_index_build_s"] = round(time.perf_counter() - started, 1)

        rows = []
        for fol in SUITE:
            here_s, here = timed(lambda f=fol: answer(f, embedded, mode="crisp"), args.repeat)
            there_s, there = timed(lambda f=fol: answer(f, remote, mode="crisp"), args.repeat)
            assert [r.image for r in here.results] == [r.image for r in there.results], fol
            rows.append(
                {
                    "formula": fol,
                    "embedded_ms": round(here_s * 1000, 1),
                    "remote_ms": round(there_s * 1000, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        report["queries"] = rows
        for key in ("embedded_ms", "remote_ms"):
            report[f"{key}_p50"] = statistics.median(r[key] for r in rows)
        sparql = (
            "SELECT (COUNT(?e) AS ?n) WHERE { ?e a rune:Ship ; rune:near ?h . ?h a rune:Harbor }"
        )
        report["sparql_join_embedded_ms"] = round(
            timed(lambda: list(embedded.query(sparql)), args.repeat)[0] * 1000, 1
        )
        report["sparql_join_remote_ms"] = round(
            timed(lambda: list(remote.query(sparql)), args.repeat)[0] * 1000, 1
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({k: v for k, v in report.items() if k != "queries"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
