"""Translation accuracy and speed on the question sets: queries/questions.jsonl (the team's own,
183 questions) and queries/heldout.jsonl (154 held-out paraphrases in six families and 30
out-of-scope questions that must be refused; written before the translator was tuned, and not
tuned against since).

    python benchmarks/translate.py [--store DIR]
        [--translator embedded|auto|llama-cpp|transformers|openai] [--model PATH_OR_NAME]
        [--llm-url URL] [--samples 5] [--seconds 10] [--every 1] [--unconstrained]
        [--sets own heldout] [--json F] [--quiet]

A translation is exact when it has the gold formula's normal form (the same formula up to
variable names, the order of conjuncts, disjuncts and symmetric arguments, and inverse
relations: rune_kg.query.formula.normal_form). It is also counted as agreeing when it selects
the same images as the gold formula in crisp mode on the store (without --store, the bundled
25 real DOTA images; a weak check where both select nothing). An out-of-scope question is right
when it is refused. For the LLM backends it also reports how many sampled candidates parse and
validate. --every K takes every K-th question (LLMs are slow).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from rune_kg.ask import VOTE_SECONDS
from rune_kg.errors import AnswerTimeout, TranslationError
from rune_kg.ingest import ingest
from rune_kg.kg import Store
from rune_kg.query.engine import answer
from rune_kg.query.formula import normal_form
from rune_kg.query.parse import parse
from rune_kg.translate import DEFAULT_SECONDS, TRANSLATORS, open_translator, translate
from rune_kg.translate.prompt import QUERIES_DIR

SAMPLE = Path(__file__).resolve().parents[1] / "rune_kg" / "data" / "sample" / "labelTxt"
SETS = {"own": "questions.jsonl", "heldout": "heldout.jsonl"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def evaluate(name, questions, translator, samples, seconds, images, quiet) -> dict:
    rows = []
    for q in questions:
        t0 = time.perf_counter()
        try:
            result = translate(
                q["question"], translator, samples=samples, seconds=seconds, answers=images
            )
            got, error, candidates = result.formula, None, result.candidates
        except TranslationError as err:
            got, error, candidates = None, str(err), []
        seconds = time.perf_counter() - t0
        gold = parse(q["fol"]) if q.get("fol") else None
        if gold is None:
            exact = agrees = got is None
        else:
            exact = got is not None and normal_form(got) == normal_form(gold)
            agrees = exact or (got is not None and images(got) == images(gold))
        rows.append(
            {
                "set": name,
                "id": q["id"],
                "family": q.get("family", "-"),
                "question": q["question"],
                "gold": q.get("fol"),
                "exact": exact,
                "agrees": agrees,
                "fol": result.fol if got is not None else None,
                "error": error,
                "ms": seconds * 1000,
                "candidates": len(candidates),
                "valid": sum(c.fol is not None for c in candidates),
            }
        )
        if not quiet:
            print(
                f"{'ok ' if exact else 'BAD'} {seconds * 1000:8.1f} ms  {q['question']}"
                + (
                    ""
                    if exact
                    else f"\n      gold {q.get('fol')}\n      got  {rows[-1]['fol'] or error}"
                )
            )
    return rows


def summarise(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["gold"] is not None]
    refused = [r for r in rows if r["gold"] is None]
    ms = [r["ms"] for r in rows]
    summary = {
        "questions": len(answerable),
        "exact": sum(r["exact"] for r in answerable) / len(answerable) if answerable else None,
        "agrees": sum(r["agrees"] for r in answerable) / len(answerable) if answerable else None,
        "out_of_scope": len(refused),
        "refused": sum(r["exact"] for r in refused) / len(refused) if refused else None,
        "ms_p50": statistics.median(ms),
        "ms_p95": _percentile(ms, 0.95),
        "ms_max": max(ms),
    }
    families = Counter(r["family"] for r in answerable)
    if len(families) > 1:
        summary["exact_by_family"] = {
            f: round(sum(r["exact"] for r in answerable if r["family"] == f) / n, 3)
            for f, n in sorted(families.items())
        }
    total = sum(r["candidates"] for r in rows)
    if total:
        summary["candidates_valid"] = sum(r["valid"] for r in rows) / total
        summary["samples_mean"] = total / len(rows)
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--store", type=Path)
    ap.add_argument("--translator", default="embedded", choices=list(TRANSLATORS))
    ap.add_argument("--model")
    ap.add_argument("--llm-url")
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--unconstrained", action="store_true")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--quiet", action="store_true", help="the summary only")
    args = ap.parse_args()

    if args.store is None:
        args.store = Path(tempfile.mkdtemp()) / "store"
        ingest([SAMPLE], Store(args.store), progress=False)
    store = Store(args.store, read_only=True)

    def images(formula) -> frozenset | None:  # None: a runaway candidate, not answered in time
        try:
            found = answer(formula, store, mode="crisp", limit=0, seconds=VOTE_SECONDS)
        except AnswerTimeout:
            return None
        return frozenset((r.source, r.image) for r in found.results)

    started = time.perf_counter()
    translator = open_translator(
        args.translator, model=args.model, url=args.llm_url, constrained=not args.unconstrained
    )
    report = {
        "translator": args.translator,
        "model": args.model,
        "samples": args.samples if args.translator != "embedded" else None,
        "seconds": args.seconds if args.translator != "embedded" else None,
        "load_s": time.perf_counter() - started,
    }
    rows = []
    for name in args.sets:
        lines = (QUERIES_DIR / SETS[name]).read_text().splitlines()
        questions = [json.loads(line) for line in lines if line.strip()][:: args.every]
        found = evaluate(
            name, questions, translator, args.samples, args.seconds, images, args.quiet
        )
        report[name] = summarise(found)
        rows += found
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": report, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
