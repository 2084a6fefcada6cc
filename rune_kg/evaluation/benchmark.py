"""rune eval: every method on every question of every collection and uncertainty level, then
metrics per level, RRQC and RRIU, written as JSON, CSV, plots and a Markdown report."""

from __future__ import annotations

import csv
import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..ask import ask
from ..errors import EvaluationError, TranslationError
from ..kg import open_store
from ..kg.index import load_index
from ..query.engine import answer
from ..query.parse import parse
from . import METHODS
from .baselines import SentenceEmbedder, TextIndex, bag_of_classes
from .collection import GROUND_TRUTH, Collection, check, prepare
from .metrics import average_precision, ndcg_at, recall_at, robustness, robustness_to_easiest
from .questions import LEVELS, BenchQuestion, generate, hand_written


@dataclass
class EvalSpec:
    out: Path
    workdir: Path = Path("rune-eval-work")
    labels: Path | None = None  # DOTA v1.0's labelTxt folder (the dota-v1 collections)
    collections: tuple[str, ...] = ("dota-v1",)
    levels: tuple[int, ...] = LEVELS
    uncertainty: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6)
    methods: tuple[str, ...] = METHODS
    per_level: int = 50  # generated questions per level, besides the hand-written ones
    seed: int = 0
    progress: bool = True
    endpoint: str | None = None  # one collection in a SPARQL endpoint instead of the work folder
    update_endpoint: str | None = None


@dataclass
class Outcome:
    """One method's ranking of one question on one collection at one uncertainty level."""

    collection: str
    uncertainty: float
    method: str
    question: str
    level: int
    relevant: int
    ap: float
    r1: float
    r5: float
    r10: float
    ndcg10: float
    ms: float


@dataclass
class Report:
    spec: dict
    questions: dict[str, list[dict]] = field(default_factory=dict)  # collection -> questions used
    outcomes: list[Outcome] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    robustness: list[dict] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


def _ground_truth(collection: Collection, fol: str) -> set[str]:
    return {
        r.image
        for r in answer(fol, collection.store, mode="crisp", source=GROUND_TRUTH, limit=0).results
    }


def _questions(collection: Collection, spec: EvalSpec) -> list[tuple[BenchQuestion, set[str]]]:
    """Hand-written and generated questions of the chosen levels, with their relevant images;
    those with none in this collection are left out."""
    cache: dict[str, set[str]] = {}

    def truth(fol: str) -> set[str]:
        if fol not in cache:
            cache[fol] = _ground_truth(collection, fol)
        return cache[fol]

    chosen = [q for q in hand_written() if q.level in spec.levels]
    chosen += generate(
        lambda fol: len(truth(fol)), len(collection.images), spec.levels, spec.per_level, spec.seed
    )
    return [(q, truth(q.fol)) for q in chosen if truth(q.fol)]


class Rankers:
    """The methods, on one store and one source (uncertainty level); `embedder` for
    text-minilm only."""

    def __init__(self, store, source: str, embedder=None):
        self.store, self.source = store, source
        self.index = load_index(store, progress=False)
        self.worlds = np.flatnonzero(self.index.source == source)
        self.embedder = embedder
        self._text = None

    def text_index(self) -> TextIndex:
        if self._text is None:
            self._text = TextIndex(self.index, self.worlds, self.embedder)
        return self._text

    def rank(self, method: str, q: BenchQuestion) -> list[str]:
        if method in ("rune-scored", "rune-crisp"):
            mode = method.split("-")[1]
            return [
                r.image
                for r in answer(q.fol, self.store, mode=mode, source=self.source, limit=0).results
            ]
        if method == "rune-pipeline":
            try:
                found = ask(self.store, q.wording, mode="scored", source=self.source, limit=0)
            except TranslationError:
                return []
            return [r.image for r in found.answer.results]
        if method == "bag-of-classes":
            scores = bag_of_classes(self.index, self.worlds, parse(q.fol))
        elif method == "text-minilm":
            scores = self.text_index().scores(q.wording)
        else:
            raise EvaluationError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
        ids = self.index.image_id[self.worlds]
        order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
        return [str(ids[i]) for i in order if method != "bag-of-classes" or scores[i] > 0]


def evaluate(spec: EvalSpec) -> Report:
    """Run the benchmark and write its files into spec.out; returns the report."""
    unknown = set(spec.methods) - set(METHODS)
    if unknown:
        raise EvaluationError(
            f"unknown methods {', '.join(sorted(unknown))} (known: {', '.join(METHODS)})"
        )
    started = time.perf_counter()
    report = Report({k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(spec).items()})
    if spec.endpoint and len(spec.collections) != 1:
        raise EvaluationError("with an endpoint, evaluate one collection at a time")
    for name in spec.collections:  # before the long work: a missing --labels fails at once
        check(name, spec.labels)
    embedder = SentenceEmbedder() if "text-minilm" in spec.methods else None
    for name in spec.collections:
        t0 = time.perf_counter()
        store = (
            open_store(endpoint=spec.endpoint, update_endpoint=spec.update_endpoint)
            if spec.endpoint
            else None
        )
        collection = prepare(
            name, spec.workdir, list(spec.uncertainty), spec.seed, spec.progress, store, spec.labels
        )
        questions = _questions(collection, spec)
        report.questions[name] = [dict(asdict(q), relevant=len(rel)) for q, rel in questions]
        report.seconds[f"{name}: prepare"] = round(time.perf_counter() - t0, 1)
        for level, source in sorted(collection.sources.items()):
            rankers = Rankers(collection.store, source, embedder)
            for method in spec.methods:
                t1 = time.perf_counter()
                bar = tqdm(
                    questions,
                    desc=f"{name} u={level:g} {method}",
                    disable=not spec.progress,
                    leave=False,
                )
                for q, relevant in bar:
                    t = time.perf_counter()
                    ranking = rankers.rank(method, q)
                    ms = (time.perf_counter() - t) * 1000
                    report.outcomes.append(
                        Outcome(
                            name,
                            level,
                            method,
                            q.id,
                            q.level,
                            len(relevant),
                            average_precision(ranking, relevant),
                            recall_at(ranking, relevant, 1),
                            recall_at(ranking, relevant, 5),
                            recall_at(ranking, relevant, 10),
                            ndcg_at(ranking, relevant, 10),
                            ms,
                        )
                    )
                report.seconds[f"{name}: u={level:g} {method}"] = round(time.perf_counter() - t1, 1)
    _summarise(report)
    report.seconds["total"] = round(time.perf_counter() - started, 1)
    write(report, spec.out)
    return report


def _summarise(report: Report) -> None:
    groups: dict[tuple, list[Outcome]] = {}
    for o in report.outcomes:
        groups.setdefault((o.collection, o.uncertainty, o.method, o.level), []).append(o)
        groups.setdefault((o.collection, o.uncertainty, o.method, "all"), []).append(o)
    for (collection, level_u, method, level), rows in groups.items():
        report.summary.append(
            {
                "collection": collection,
                "uncertainty": level_u,
                "method": method,
                "level": level,
                "questions": len(rows),
                "mAP": statistics.fmean(o.ap for o in rows),
                "R@1": statistics.fmean(o.r1 for o in rows),
                "R@5": statistics.fmean(o.r5 for o in rows),
                "R@10": statistics.fmean(o.r10 for o in rows),
                "nDCG@10": statistics.fmean(o.ndcg10 for o in rows),
                "p50_ms": statistics.median(o.ms for o in rows),
            }
        )
    by = {
        (s["collection"], s["uncertainty"], s["method"], s["level"]): s["mAP"]
        for s in report.summary
    }
    for collection, method in sorted({(s["collection"], s["method"]) for s in report.summary}):
        uncertainty = {
            u: m for (c, u, me, lv), m in by.items() if (c, me, lv) == (collection, method, "all")
        }
        # at each uncertainty level: on the ground truth, rune-kg is exact by construction
        rrqc, rrqc_old = {}, {}
        for level_u in sorted(uncertainty):
            complexity = {
                lv: m
                for (c, u, me, lv), m in by.items()
                if (c, u, me) == (collection, level_u, method) and lv != "all"
            }
            rrqc[level_u] = robustness(complexity)
            rrqc_old[level_u] = robustness_to_easiest(complexity)
        report.robustness.append(
            {
                "collection": collection,
                "method": method,
                "RRQC": rrqc,
                "RRIU": robustness(uncertainty),
                "RRQC_to_easiest": rrqc_old,  # the earlier definitions, for one release
                "RRIU_to_easiest": robustness_to_easiest(uncertainty),
            }
        )


def write(report: Report, out: Path) -> None:
    """metrics.json (everything), metrics.csv (the summary), per-question outcomes.csv, one
    plot per collection and axis, and report.md."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(
        json.dumps(
            {
                "spec": report.spec,
                "summary": report.summary,
                "robustness": report.robustness,
                "seconds": report.seconds,
                "questions": report.questions,
                "outcomes": [asdict(o) for o in report.outcomes],
            },
            indent=1,
        )
    )
    _csv(out / "metrics.csv", report.summary)
    _csv(out / "outcomes.csv", [asdict(o) for o in report.outcomes])
    plots = _plots(report, out)
    (out / "report.md").write_text(_markdown(report, plots))


def _csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        if rows:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def _plots(report: Report, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for collection in report.questions:
        for axis, title in (
            ("level", "query complexity (level)"),
            ("uncertainty", "image uncertainty (u)"),
        ):
            fig, ax = plt.subplots(figsize=(6, 4))
            for method in report.spec["methods"]:
                rows = [
                    s
                    for s in report.summary
                    if s["collection"] == collection
                    and s["method"] == method
                    and (
                        s["uncertainty"] == 0.0 and s["level"] != "all"
                        if axis == "level"
                        else s["level"] == "all"
                    )
                ]
                rows.sort(key=lambda s: s[axis])
                ax.plot(
                    [s[axis] for s in rows],
                    [s["mAP"] for s in rows],
                    marker="o",
                    label=method,
                    linestyle="--" if method == "rune-pipeline" else "-",
                )  # often on rune-scored's line
            ax.set_xlabel(title)
            ax.set_ylabel("mAP")
            ax.set_ylim(0, 1.05)
            ax.set_title(f"{collection}: mAP vs {title}")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
            name = f"{collection}-{axis}.png"
            fig.tight_layout()
            fig.savefig(out / name, dpi=110)
            plt.close(fig)
            names.append(name)
    return names


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cell(rows: dict, method: str, point: tuple, metric: str, digits: int = 3) -> str:
    found = rows.get((method, *point))
    return f"{found[metric]:.{digits}f}" if found else "-"


def _markdown(report: Report, plots: list[str]) -> str:
    spec = report.spec
    highest = max(spec["uncertainty"])
    points = [(0.0, lv) for lv in spec["levels"]] + [(u, "all") for u in spec["uncertainty"]]
    heads = [f"L{lv}" for lv in spec["levels"]] + [f"u={u:g}" for u in spec["uncertainty"]]
    lines = ["# rune eval", "", f"Settings: `{json.dumps(spec)}`", ""]
    for collection, questions in report.questions.items():
        per_level = {lv: sum(q["level"] == lv for q in questions) for lv in spec["levels"]}
        share = ", ".join(
            f"L{lv} {n} ({n / max(1, len(questions)):.0%})" for lv, n in per_level.items()
        )
        rows = {
            (s["method"], s["uncertainty"], s["level"]): s
            for s in report.summary
            if s["collection"] == collection
        }

        lines += [
            f"## {collection}",
            "",
            f"{len(questions)} questions with at least one relevant image: {share}. rune-pipeline "
            "and text-minilm read the held-out wording of each question, so translation errors "
            "count; the others read its gold formula.",
            "",
            "mAP by complexity level (at u = 0) and by image uncertainty u (all levels); RRQC "
            "and RRIU: 1 = no loss over the range, never above 1 (the earlier definitions, "
            "relative to the easiest point, in brackets):",
            "",
            "| method | "
            + " | ".join(heads)
            + f" | RRQC u=0 | RRQC u={highest:g} | RRIU | p50 ms |",
            "| --- " * (len(heads) + 5) + "|",
        ]
        for method in spec["methods"]:
            rob = next(
                r
                for r in report.robustness
                if r["collection"] == collection and r["method"] == method
            )
            cells = [_cell(rows, method, point, "mAP") for point in points]
            cells += [
                f"{_number(rob['RRQC'].get(0.0))} ({_number(rob['RRQC_to_easiest'].get(0.0))})",
                f"{_number(rob['RRQC'].get(highest))} "
                f"({_number(rob['RRQC_to_easiest'].get(highest))})",
                f"{_number(rob['RRIU'])} ({_number(rob['RRIU_to_easiest'])})",
                _cell(rows, method, (0.0, "all"), "p50_ms"),
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines += [
            "",
            "R@1 / R@5 / R@10 / nDCG@10 at the same points:",
            "",
            "| method | " + " | ".join(heads) + " |",
            "| --- " * (len(heads) + 1) + "|",
        ]
        for method in spec["methods"]:
            cells = [
                " / ".join(
                    _cell(rows, method, point, m, 2) for m in ("R@1", "R@5", "R@10", "nDCG@10")
                )
                for point in points
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines += [""] + [f"![{p}]({p})" for p in plots if p.startswith(collection + "-")] + [""]
    lines += [
        "Metrics and RRQC/RRIU are defined in rune_kg/evaluation/metrics.py and "
        "docs/evaluation.md.",
        f"Time: {report.seconds.get('total', 0):.0f} s.",
        "",
    ]
    return "\n".join(lines)
