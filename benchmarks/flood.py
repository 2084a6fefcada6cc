"""The post-disaster benchmark: 44 questions (queries/flood.jsonl, levels 1-5 as in rune eval)
over the 1,032 hurricane-Florence tiles of xBD (florence_bbox.csv: 20,394 building boxes with
their damage level), mAP per complexity level for rune-kg and the bag-of-classes baseline.

    python benchmarks/flood.py [--table FILE] [--uncertainty 0 0.2 0.4] [--seed 0] [--json FILE]

The table's boxes are the ground truth (source `truth`); at each uncertainty level u they are
turned into detector-like output (rune_kg.evaluation.perturb: missed buildings, neighbouring
damage levels confused, jitter, false positives, confidences) and ingested as their own source.
A question's relevant images are the crisp answer on the ground truth; each method ranks the
noisy source's images: rune-scored (the gold formula, scored), rune-pipeline (the held-out
English wording through the embedded translator, so translation errors count) and
bag-of-classes (the formula's classes counted, relations ignored). Questions with no relevant
image are left out (and counted).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rune_kg.evaluation.benchmark import Rankers
from rune_kg.evaluation.metrics import average_precision
from rune_kg.evaluation.perturb import perturb
from rune_kg.evaluation.questions import hand_written
from rune_kg.ingest import RunInfo, ingest_images
from rune_kg.ingest.boxtable import read_box_table
from rune_kg.ingest.classmaps import load_class_map
from rune_kg.kg import Store
from rune_kg.query.engine import answer

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT.parent / "shared" / "data" / "xbd" / "florence_bbox.csv"
QUESTIONS = ROOT / "queries" / "flood.jsonl"
METHODS = ("rune-scored", "rune-pipeline", "bag-of-classes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--uncertainty", type=float, nargs="+", default=[0.0, 0.2, 0.4])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the per-question outcomes here")
    args = parser.parse_args()

    images = read_box_table(args.table, load_class_map("xbd-levels"))
    questions = hand_written(QUESTIONS)
    with tempfile.TemporaryDirectory(prefix="rune-flood-") as folder:
        store = Store(Path(folder) / "store")
        started = time.perf_counter()
        now = datetime.now(UTC)
        ingest_images(images, store, RunInfo("truth", "florence_bbox.csv", now), progress=False)
        sources = {}
        for u in args.uncertainty:
            source = f"noisy-{round(u * 100):02d}"
            noisy = perturb(images, u, seed=args.seed)
            ingest_images(noisy, store, RunInfo(source, f"perturbed u={u}", now), progress=False)
            sources[u] = source
        print(
            f"{len(images)} tiles, {sum(len(i.objects) for i in images)} boxes, "
            f"{len(sources)} uncertainty levels ingested in {time.perf_counter() - started:.1f} s"
        )
        truth = {
            q.id: {
                r.image for r in answer(q.fol, store, mode="crisp", source="truth", limit=0).results
            }
            for q in questions
        }
        kept = [q for q in questions if truth[q.id]]
        print(f"{len(kept)} of {len(questions)} questions have a relevant tile")
        outcomes = []
        for u, source in sources.items():
            rankers = Rankers(store, source)
            for q in kept:
                for method in METHODS:
                    ranking = rankers.rank(method, q)
                    ap = average_precision(ranking, truth[q.id])
                    outcomes.append(
                        {"u": u, "method": method, "id": q.id, "level": q.level, "ap": ap}
                    )
    _report(outcomes, kept)
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1))


def _report(outcomes: list[dict], questions) -> None:
    levels = sorted({q.level for q in questions})
    counts = {lv: sum(q.level == lv for q in questions) for lv in levels}
    header = " | ".join(f"L{lv} ({counts[lv]})" for lv in levels)
    print(f"\n| u | method | {header} | all |\n|" + " --- |" * (len(levels) + 3))
    for u in sorted({o["u"] for o in outcomes}):
        for method in METHODS:
            rows = [o for o in outcomes if o["u"] == u and o["method"] == method]
            cells = [statistics.mean(o["ap"] for o in rows if o["level"] == lv) for lv in levels]
            overall = statistics.mean(o["ap"] for o in rows)
            print(
                f"| {u} | {method} | "
                + " | ".join(f"{c:.3f}" for c in cells)
                + f" | {overall:.3f} |"
            )


if __name__ == "__main__":
    main()
