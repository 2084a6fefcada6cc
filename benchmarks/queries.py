"""Query speed on DOTA v1.0: rune-kg against the naive SPARQL translation and a scan.

    python benchmarks/queries.py [--labels DIR] [--workdir DIR] [--naive-limit 60]
        [--no-naive] [--no-scan] [--json out.json]

On the real DOTA v1.0 train + val annotations (benchmarks/data.py: --labels, else the
repository's copy; ingested into DIR/store when missing), each formula of SUITE (every
construct of the query language) is answered three ways:
- rune-kg: `answer(..., mode="crisp")` (the CLI's default limit of 20 explained results),
  after one warm-up query that loads the entity index; the median of --repeat runs;
- naive: the whole formula as one SPARQL join with FILTERs (rewrite.naive) on the same store
  (compacted: SPARQL's best case), in a child process killed at --naive-limit seconds (reported
  as at least that limit);
- scan: rune_kg.evaluation.reference over the same entities read from the label files,
  restricted to the
  classes the formula's variables can take (as the engine's subsets are), every relation
  computed from the polygons per query (shapely), stopping at the first witness per image.
The matched images of rune-kg and the scan must agree; the script stops if they do not. A scan
past --scan-limit seconds is reported as at least that limit (and checks nothing).
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from data import dota_v1_labels, store_arguments

from rune_kg.evaluation.reference import ReferenceWorld, satisfies
from rune_kg.ingest import ingest
from rune_kg.ingest.dota import read_label_file
from rune_kg.kg import Store
from rune_kg.kg.index import INDEX_PREFIX, load_index
from rune_kg.query.engine import answer
from rune_kg.query.formula import variables
from rune_kg.query.parse import parse
from rune_kg.query.plan import plan
from rune_kg.query.sparql import naive

SUITE = [
    # one class, superclasses, counting
    "ship(a)",
    "vehicle(a)",
    "court(a)",
    "exists>=4 x: small_vehicle(x)",
    "exists>=50 x: ship(x)",
    "exists=2 x: tennis_court(x)",
    "ship(s) & exists<=1 x: harbor(x)",
    "(exists<=0 x: plane(x)) & harbor(h)",
    # every relation
    "ship(a) & harbor(b) & near(a, b)",
    "ship(a) & harbor(b) & left_of(a, b)",
    "plane(a) & helicopter(b) & right_of(a, b)",
    "bridge(a) & ship(b) & above(a, b)",
    "roundabout(a) & large_vehicle(b) & below(b, a)",
    "storage_tank(a) & storage_tank(b) & far_from(a, b)",
    "large_vehicle(a) & small_vehicle(b) & overlaps(a, b)",
    "large_vehicle(a) & inside(a, b)",
    "harbor(h) & ship(s) & contains(h, s)",
    "plane(p) & plane(q) & parallel(p, q) & larger_than(p, q)",
    "court(a) & court(b) & same_class(a, b) & above(a, b)",
    # disjunction, implication, negation, forall
    "soccer_ball_field(s) & (ground_track_field(g) | baseball_diamond(g)) & right_of(g, s)",
    "plane(a) | helicopter(a)",
    "swimming_pool(p) & ~exists t: tennis_court(t)",
    "ship(a) & ~exists b: (ship(b) & near(a, b))",
    "small_vehicle(a) & ~exists b: (vehicle(b) & near(a, b))",
    "large_vehicle(a) & ~exists h: (harbor(h) & inside(a, h))",
    "harbor(h) & ~exists s: (ship(s) & contains(h, s))",
    "tennis_court(t) & forall s: (swimming_pool(s) -> ~near(s, t))",
    "storage_tank(t) & forall x: (ship(x) -> far_from(x, t))",
    "(exists a: harbor(a)) & forall a: (harbor(a) -> exists s: (ship(s) & near(s, a)))",
    "(forall p: (plane(p) -> exists q: (plane(q) & parallel(p, q)))) & plane(r)",
    "tennis_court(t) & exists>=2 x: (small_vehicle(x) & near(x, t))",
    "harbor(h) & exists>=5 s: (ship(s) & near(s, h))",
    "ground_track_field(g) & exists=1 s: (soccer_ball_field(s) & inside(s, g))",
    # chains of 3 to 5 variables over the dense classes
    "ship(a) & harbor(h) & left_of(a, h) & ~exists b: (ship(b) & near(a, b))",
    "ship(a) & ship(b) & ship(c) & near(a, b) & near(b, c) & parallel(a, c)",
    "plane(a) & plane(b) & plane(c) & left_of(a, b) & left_of(b, c) & parallel(a, c)",
    "small_vehicle(a) & small_vehicle(b) & small_vehicle(c) & small_vehicle(d) & below(b, a) "
    "& below(c, b) & below(d, c)",
    "small_vehicle(a) & small_vehicle(b) & small_vehicle(c) & small_vehicle(d) & "
    "small_vehicle(e) & left_of(a, b) & left_of(b, c) & left_of(c, d) & left_of(d, e)",
    "large_vehicle(a) & large_vehicle(b) & large_vehicle(c) & near(a, b) & near(b, c) "
    "& larger_than(a, c)",
    "ship(a) & ship(b) & ship(c) & ship(d) & right_of(b, a) & right_of(c, b) & right_of(d, c) "
    "& harbor(h) & near(a, h)",
    "tennis_court(t) & small_vehicle(c) & near(c, t) & plane(p) & large_vehicle(k) & near(p, k)",
    "harbor(h) & ship(a) & ship(b) & near(a, h) & near(b, h) & storage_tank(s) & far_from(s, h)",
    "large_vehicle(a) & large_vehicle(b) & small_vehicle(c) & small_vehicle(d) & "
    "small_vehicle(e) & near(a, b) & parallel(a, b) & near(c, a) & near(d, b) & left_of(c, e)",
    "harbor(h) & ship(a) & ship(b) & ship(c) & ship(d) & storage_tank(s) & storage_tank(t) & "
    "small_vehicle(v) & near(a, h) & near(b, h) & left_of(c, h) & right_of(d, h) & near(s, t) "
    "& far_from(v, h)",
    "small_vehicle(a) & small_vehicle(b) & near(a, b) & ~exists c: (large_vehicle(c) & "
    "(near(c, a) | near(c, b)))",
    "ship(a) & ship(b) & near(a, b) & forall c: (harbor(c) -> far_from(c, a))",
    # quantified variables of the same class as a later variable (c is neither a nor b)
    "ship(a) & ship(b) & near(a, b) & ~exists c: (ship(c) & near(c, a))",
    "harbor(h) & ship(a) & near(a, h) & ~exists s: (ship(s) & near(s, h))",
]

_NAIVE_CHILD = """
import json, sys, time, pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
query = sys.stdin.read()
started = time.perf_counter()
rows = [r["image"].value for r in store.query(query, use_default_graph_as_union=True)]
print(json.dumps({"seconds": time.perf_counter() - started, "images": len(rows)}))
"""


def build(workdir: Path, labels: Path) -> Path:
    """The store of `labels` in workdir/store, ingested when missing or of an older format, and
    compacted (`rune ingest --compact`: SPARQL scans the uncompacted store 3-5 times slower)."""
    store_dir = workdir / "store"
    if not any(store_dir.glob(INDEX_PREFIX + "*")):
        shutil.rmtree(store_dir, ignore_errors=True)
        store = Store(store_dir)
        ingest([labels], store, source="dota")
        store.compact()
    return store_dir


def run_naive(store_dir: Path, query: str, limit: float) -> float | None:
    """Seconds, or None past the limit."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _NAIVE_CHILD, str(store_dir)],
            input=query,
            capture_output=True,
            text=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout)["seconds"]


def _scan(images, formula, results) -> None:
    universe = frozenset().union(*(c.universe for c in plan(formula).clauses))
    started = time.perf_counter()
    matched = []
    for image in images:
        subset = replace(image, objects=tuple(o for o in image.objects if o.class_name in universe))
        if satisfies(ReferenceWorld(subset), formula) is not None:
            matched.append(image.image_id)
    results.put((time.perf_counter() - started, matched))


def run_scan(images, formula, limit: float) -> tuple[float, list[str]] | None:
    """Seconds and matched image ids, or None past the limit (a forked child shares `images`)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_scan, args=(images, formula, results))
    child.start()
    try:
        return results.get(timeout=limit)
    except queue.Empty:
        return None
    finally:
        child.kill()
        child.join()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--naive-limit", type=float, default=60.0, help="seconds per naive query")
    parser.add_argument("--repeat", type=int, default=5, help="rune-kg runs per formula (median)")
    parser.add_argument("--scan-limit", type=float, default=120.0, help="seconds per scan")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive translation")
    parser.add_argument("--no-scan", action="store_true", help="skip the scan (and its check)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()

    labels = dota_v1_labels(args.labels)
    store_dir = build(args.workdir, labels)
    store = Store(store_dir, read_only=True)
    images = [] if args.no_scan else [read_label_file(p) for p in sorted(labels.glob("*.txt"))]
    started = time.perf_counter()
    index = load_index(store)  # once
    print(
        f"collection: {index.worlds} images, {len(index.cls)} objects; "
        f"index load {time.perf_counter() - started:.2f} s"
    )
    answer("ship(a)", store)  # warm-up

    rows = []
    columns = (
        ("vars", 4),
        ("clauses", 7),
        ("matched", 7),
        ("rune ms", 9),
        ("naive s", 9),
        ("scan ms", 9),
    )
    header = " ".join(f"{name:>{width}}" for name, width in columns) + "  formula"
    print(header)
    for text in SUITE:
        formula = parse(text)
        runs = [answer(formula, store, mode="crisp") for _ in range(args.repeat)]
        result = runs[0]
        rune_ms = statistics.median(r.timing_ms["total"] for r in runs)
        scan = None if args.no_scan else run_scan(images, formula, args.scan_limit)
        if scan is not None:
            everything = answer(formula, store, mode="crisp", limit=0)
            if sorted(r.image for r in everything.results) != scan[1]:
                sys.exit(f"rune-kg and the scan disagree on {text}")
        naive_s = None if args.no_naive else run_naive(store_dir, naive(formula), args.naive_limit)
        row = {
            "formula": text,
            "variables": len(variables(formula)),
            "clauses": len(plan(formula).clauses),
            "matched": result.matched,
            "rune_ms": rune_ms,
            "scan_ms": None if args.no_scan else (scan[0] if scan else args.scan_limit) * 1000,
            "scan_timed_out": scan is None and not args.no_scan,
            "naive_ms": None if naive_s is None else naive_s * 1000,
            "naive_timed_out": naive_s is None,
        }
        rows.append(row)
        naive_text = (
            "-"
            if args.no_naive
            else (f">{args.naive_limit:.0f}" if naive_s is None else f"{naive_s:.2f}")
        )
        scan_text = (
            "-"
            if args.no_scan
            else (f">{args.scan_limit * 1000:.0f}" if scan is None else f"{row['scan_ms']:.0f}")
        )
        print(
            f"{row['variables']:>4} {row['clauses']:>7} {row['matched']:>7} {rune_ms:>9.1f} "
            f"{naive_text:>9} "
            f"{scan_text:>9}  {text}",
            flush=True,
        )

    rune = [r["rune_ms"] for r in rows]
    summary = {
        "queries": len(rows),
        "rune_p50_ms": percentile(rune, 0.5),
        "rune_p95_ms": percentile(rune, 0.95),
        "rune_max_ms": max(rune),
    }
    if not args.no_scan:
        summary |= {
            "scan_over_rune_median": statistics.median(r["scan_ms"] / r["rune_ms"] for r in rows),
            "scan_over_rune_min": min(r["scan_ms"] / r["rune_ms"] for r in rows),
            "scan_timed_out": sum(r["scan_timed_out"] for r in rows),
        }
    if not args.no_naive:
        ratios = [(r["naive_ms"] or args.naive_limit * 1000) / r["rune_ms"] for r in rows]
        summary |= {
            "naive_over_rune_median": statistics.median(ratios),
            "naive_over_rune_min": min(ratios),
            "naive_timed_out": sum(r["naive_timed_out"] for r in rows),
        }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "queries": rows}, indent=2))


if __name__ == "__main__":
    main()
