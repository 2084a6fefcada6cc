"""Translation accuracy and speed on the question set (queries/questions.jsonl).

    python benchmarks/translate.py [--store DIR] [--translator embedded|transformers|openai]
        [--model PATH_OR_NAME] [--llm-url URL] [--samples 10] [--every 1] [--unconstrained]
        [--json F]

A translation is right when it equals the gold formula up to variable names, or selects the same
images as the gold formula on the store (crisp mode). Without --store, the bundled real sample
(25 DOTA images) is ingested into a temporary store. For the LLM backends it also reports how
many sampled candidates parse and validate. --every K takes every K-th question (LLMs are slow).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rune_kg.errors import TranslationError
from rune_kg.ingest import ingest
from rune_kg.kg import Store
from rune_kg.query.engine import answer
from rune_kg.query.formula import alpha_normal
from rune_kg.query.parse import parse
from rune_kg.translate import open_translator, translate
from rune_kg.translate.prompt import QUERIES_DIR

SAMPLE = Path(__file__).resolve().parents[1] / "rune_kg" / "data" / "sample" / "labelTxt"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--store", type=Path)
    ap.add_argument(
        "--translator", default="embedded", choices=["embedded", "transformers", "openai"]
    )
    ap.add_argument("--model")
    ap.add_argument("--llm-url")
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--unconstrained", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    if args.store is None:
        args.store = Path(tempfile.mkdtemp()) / "store"
        ingest([SAMPLE], Store(args.store), progress=False)
    store = Store(args.store, read_only=True)

    def images(formula) -> frozenset:
        return frozenset(
            (r.source, r.image) for r in answer(formula, store, mode="crisp", limit=0).results
        )

    questions = [
        json.loads(line) for line in (QUERIES_DIR / "questions.jsonl").read_text().splitlines()
    ]
    questions = questions[:: args.every]
    started = time.perf_counter()
    translator = open_translator(
        args.translator, model=args.model, url=args.llm_url, constrained=not args.unconstrained
    )
    load_s = time.perf_counter() - started
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        try:
            result = translate(q["question"], translator, samples=args.samples, answers=images)
            seconds = time.perf_counter() - t0
            got, error = result.formula, None
            candidates = result.candidates
        except TranslationError as err:
            seconds, got, error, candidates = time.perf_counter() - t0, None, str(err), []
        gold = parse(q["fol"])
        right = got is not None and (
            alpha_normal(got) == alpha_normal(gold) or images(got) == images(gold)
        )
        rows.append(
            {
                "id": q["id"],
                "question": q["question"],
                "gold": q["fol"],
                "right": right,
                "fol": result.fol if got is not None else None,
                "error": error,
                "ms": seconds * 1000,
                "candidates": len(candidates),
                "valid": sum(c.fol is not None for c in candidates),
            }
        )
        print(
            f"{'ok ' if right else 'BAD'} {seconds * 1000:8.1f} ms  {q['question']}"
            + ("" if right else f"\n      gold {q['fol']}\n      got  {rows[-1]['fol'] or error}")
        )
    ms = [r["ms"] for r in rows]
    summary = {
        "translator": args.translator,
        "model": args.model,
        "constrained": not args.unconstrained,
        "samples": args.samples if args.translator != "embedded" else None,
        "questions": len(rows),
        "right": sum(r["right"] for r in rows),
        "accuracy": sum(r["right"] for r in rows) / len(rows),
        "ms_p50": statistics.median(ms),
        "ms_max": max(ms),
        "load_s": load_s,
    }
    if args.translator != "embedded":
        total = sum(r["candidates"] for r in rows)
        summary["candidates_valid"] = sum(r["valid"] for r in rows) / total if total else 0.0
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
