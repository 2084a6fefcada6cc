"""Load on the server: concurrent clients on loopback mixing searches and SPARQL queries.

    python benchmarks/load.py [--labels DIR] [--workdir /tmp/rune-bench-dota-v1] [--clients 32]
        [--seconds 60] [--slow 0] [--writers 0 --write-rate 2] [--json out.json]

Starts `rune serve` (waitress) on the DOTA v1.0 store of benchmarks/queries.py (ingested in
WORKDIR/store when missing) on a free port of 127.0.0.1, then runs --clients threads for
--seconds, each on its own keep-alive connection, each request drawn (seeded) from:
- search (--search-share of requests): GET /api/search?q=QUESTION, the questions of
  queries/questions.jsonl;
- SPARQL: POST /sparql of one of SPARQL_MIX (counts, a two-entity join, a DESCRIBE, an ASK);
- cheap (--cheap-share): GET / (the page) or /void.
--slow N adds N clients that each keep one slow SPARQL query (SLOW, stopped by the server's time
limit) in flight. --writers N adds N clients that each POST --write-rate updates per second
(with the server's update token, on a copy of the store): each adds a note to the named graph of
an image drawn at random, so that the entity index of that image is read again; at the end, the
benchmark counts the notes in the store and reports any acknowledged write that is missing.
Reports requests per second, p50/p99 latency per kind, and every status code: 503s (every query
worker busy, Retry-After) are counted apart from other server errors.
The clients are Python threads on the same 2 cores as the server: they take CPU from it.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import dota_v1_labels, store_arguments  # noqa: E402

from queries import build  # noqa: E402  (the store of the query benchmark)

QUESTIONS = Path(__file__).resolve().parents[1] / "queries" / "questions.jsonl"
SPARQL_MIX = [
    "SELECT ?class (COUNT(?e) AS ?n) WHERE { ?e rune:className ?class } GROUP BY ?class",
    "SELECT ?image WHERE { ?h a rune:Harbor ; rune:inImage ?i . ?s a rune:Ship ; rune:near ?h . "
    "?i rune:imageId ?image } LIMIT 50",
    "SELECT ?id ?w ?h WHERE "
    "{ ?i a rune:Image ; rune:imageId ?id . OPTIONAL { ?i rune:width ?w ; rune:height ?h } } "
    "ORDER BY ?id LIMIT 100",
    "DESCRIBE <https://w3id.org/rune-kg/data/image/P0042>",
    "ASK { ?p a rune:Plane ; rune:inside ?a . ?a a rune:Airport }",
]
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = ["/", "/void"]
_READS = ("search", "sparql", "cheap")
TOKEN = "load-benchmark"
GRAPH = "https://w3id.org/rune-kg/data/graph/dota/"
NOTE = "urn:rune-bench:note/"  # + writer/number: the subject of each write's note
COUNT_NOTES = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?note rdfs:comment ?c } "
    f'FILTER(STRSTARTS(STR(?note), "{NOTE}")) }}'
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class _Connection:
    """A keep-alive connection to the server, opened again after an error."""

    def __init__(self, base: str):
        self.parts = urlsplit(base)
        self.http = http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=120)

    def send(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple:
        """(status or the error's name, the body)."""
        try:
            self.http.request(method, path, body=body, headers=headers)
            response = self.http.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as err:
            self.http.close()
            self.http = http.client.HTTPConnection(
                self.parts.hostname, self.parts.port, timeout=120
            )
            return type(err).__name__, b""


def client(
    base: str,
    deadline: float,
    seed: int,
    shares: tuple[float, float],
    questions: list[str],
    log: list,
    lock,
    slow: bool = False,
) -> None:
    connection = _Connection(base)
    rng = random.Random(seed)
    mine = []
    search_share, cheap_share = shares
    while time.perf_counter() < deadline:
        draw = rng.random()
        if slow:
            kind, method, path, body = "slow", "POST", "/sparql", SLOW.encode()
            headers = {"Content-Type": "application/sparql-query"}
        elif draw < cheap_share:
            kind, method, path, body, headers = "cheap", "GET", rng.choice(CHEAP), None, {}
        elif draw < cheap_share + search_share:
            kind, method, path, body, headers = (
                "search",
                "GET",
                "/api/search?" + urlencode({"q": rng.choice(questions)}),
                None,
                {},
            )
        else:
            kind, method, path = "sparql", "POST", "/sparql"
            body = rng.choice(SPARQL_MIX).encode()
            headers = {
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json, text/turtle",
            }
        started = time.perf_counter()
        status, _ = connection.send(method, path, body, headers)
        mine.append((kind, status, time.perf_counter() - started, started))
    with lock:
        log.extend(mine)


def writer(
    base: str, deadline: float, seed: int, rate: float, images: list[str], log: list, lock
) -> None:
    """POST `rate` updates per second, each adding one note to an image's graph; logs them as
    kind "write" (the acknowledged ones are those answered 204)."""
    connection = _Connection(base)
    rng = random.Random(seed)
    mine, number, next_at = [], 0, time.perf_counter()
    while next_at < deadline:
        time.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += 1 / rate
        number += 1
        update = (
            f"INSERT DATA {{ GRAPH <{GRAPH}{rng.choice(images)}> "
            f'{{ <{NOTE}{seed}/{number}> rdfs:comment "written under load" }} }}'
        )
        headers = {
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {TOKEN}",
        }
        started = time.perf_counter()
        status, _ = connection.send("POST", "/sparql", update.encode(), headers)
        mine.append(("write", status, time.perf_counter() - started, started))
    with lock:
        log.extend(mine)


def count_notes(base: str) -> int:
    headers = {
        "Content-Type": "application/sparql-query",
        "Accept": "application/sparql-results+json",
    }
    _, body = _Connection(base).send("POST", "/sparql", COUNT_NOTES.encode(), headers)
    answer = json.loads(body)
    return int(answer["results"]["bindings"][0]["n"]["value"])


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--search-share", type=float, default=0.5)
    parser.add_argument("--cheap-share", type=float, default=0.0)
    parser.add_argument("--slow", type=int, default=0, help="clients that keep a slow query")
    parser.add_argument("--writers", type=int, default=0, help="clients that POST updates")
    parser.add_argument("--write-rate", type=float, default=2.0, help="updates/s per writer")
    parser.add_argument("--threads", type=int, default=8, help="the server's request threads")
    parser.add_argument(
        "--query-workers", type=int, default=2, help="the server's SPARQL processes"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    store_dir = build(args.workdir, dota_v1_labels(args.labels))
    images = sorted(p.stem for p in dota_v1_labels(args.labels).glob("*.txt"))
    if args.writers:  # writes go to a copy: the query benchmark's store stays as ingested
        copy = args.workdir / "store-written"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(store_dir, copy)
        store_dir = copy
    questions = [
        json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()
    ]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rune_kg.cli",
            "serve",
            "--store",
            str(store_dir),
            "--port",
            "0",
            "--threads",
            str(args.threads),
            "--query-workers",
            str(args.query_workers),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUNE_UPDATE_TOKEN": TOKEN} if args.writers else None,
    )
    try:
        line = server.stdout.readline()
        base = line.split(" on ", 1)[1].split()[0]
        print(
            f"server up: {base} ({store_dir}); {args.clients} clients for {args.seconds:g} s",
            flush=True,
        )
        log: list = []
        lock = threading.Lock()
        deadline = time.perf_counter() + args.seconds
        shares = (args.search_share, args.cheap_share)
        threads = [
            threading.Thread(
                target=client,
                args=(base, deadline, i, shares, questions, log, lock, i >= args.clients),
            )
            for i in range(args.clients + args.slow)
        ] + [
            threading.Thread(
                target=writer, args=(base, deadline, i, args.write_rate, images, log, lock)
            )
            for i in range(args.writers)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        notes = count_notes(base) if args.writers else 0
    finally:
        server.send_signal(signal.SIGINT)  # as Ctrl-C: the server saves its updated index
        server.wait(timeout=60)

    reads = [entry for entry in log if entry[0] != "write"]
    report = {
        "clients": args.clients,
        "writers": args.writers,
        "seconds": round(elapsed, 1),
        "requests": len(reads),
        "throughput_per_s": round(len(reads) / elapsed, 1),
        "statuses": {},
        "kinds": {},
    }
    for _, status, _, _ in log:
        report["statuses"][str(status)] = report["statuses"].get(str(status), 0) + 1
    for kind in ("search", "sparql", "cheap", "slow", "write", "all"):
        times = [s for k, _, s, _ in log if k == kind or (kind == "all" and k in _READS)]
        if not times:
            continue
        report["kinds"][kind] = {
            "requests": len(times),
            "p50_ms": round(percentile(times, 0.5) * 1000, 1),
            "p99_ms": round(percentile(times, 0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(times) * 1000, 1) if times else None,
        }
    report["busy_503"] = sum(1 for k, s, _, _ in log if s == 503 and k != "slow")
    report["server_errors"] = sum(
        1 for k, s, _, _ in log if k != "slow" and (not isinstance(s, int) or 500 <= s != 503)
    )
    if args.writers:
        acknowledged = sum(1 for k, s, _, _ in log if k == "write" and s == 204)
        report["writes"] = {
            "acknowledged": acknowledged,
            "found": notes,
            "lost": max(0, acknowledged - notes),
        }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
