"""rune eval: the retrieval benchmark."""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import CommandError


def _check_installed(methods) -> None:
    """Before the long run: the plots need matplotlib, text-minilm needs transformers."""
    needed = ["matplotlib"] + (["torch", "transformers"] if "text-minilm" in methods else [])
    missing = []
    for module in needed:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise CommandError(
            f"rune eval needs {' and '.join(missing)}: pip install 'rune-kg[eval]' "
            "(with torch==2.13.0 first on a CPU machine)"
            + ("; or leave text-minilm out of --methods" if "matplotlib" not in missing else "")
        )


def cmd_eval(args) -> int:
    from ..evaluation.benchmark import EvalSpec, evaluate

    _check_installed(args.methods)

    collections = args.collection or (["dota-v1"] if args.labels else ["sample"])
    if not args.collection and not args.labels:
        print(
            "rune eval: no --labels: evaluating on the 25 bundled sample images; pass --labels "
            "DIR (DOTA v1.0's labelTxt folder) for the real benchmark"
        )
    spec = EvalSpec(
        out=args.out,
        workdir=args.workdir,
        labels=args.labels,
        collections=tuple(collections),
        levels=tuple(args.levels),
        uncertainty=tuple(args.uncertainty),
        methods=tuple(args.methods),
        per_level=args.per_level,
        seed=args.seed,
        progress=not args.quiet,
        endpoint=args.endpoint,
        update_endpoint=args.update_endpoint,
    )
    report = evaluate(spec)
    print((args.out / "report.md").read_text())
    print(
        f"wrote {args.out}/metrics.json, metrics.csv, outcomes.csv, report.md and "
        f"{len(report.questions) * 2} plots in {report.seconds['total']:.0f} s"
    )
    return 0


def register(sub) -> None:
    """The eval command's parser."""
    from ..evaluation import COLLECTIONS, METHODS

    p = sub.add_parser(
        "eval", help="the retrieval benchmark: methods x complexity levels x image uncertainty"
    )
    p.add_argument(
        "--out", type=Path, required=True, help="folder for metrics.json/.csv, plots and report.md"
    )
    p.add_argument(
        "--labels",
        type=Path,
        help="DOTA v1.0's labelTxt folder (train + val, 1,869 files): the dota-v1 collections",
    )
    p.add_argument(
        "--collection",
        nargs="+",
        choices=list(COLLECTIONS),
        help="; ".join(f"{name}: {what}" for name, what in COLLECTIONS.items())
        + " (default: dota-v1 with --labels, else sample)",
    )
    p.add_argument(
        "--levels", nargs="+", type=int, default=[1, 2, 3, 4, 5], choices=[1, 2, 3, 4, 5]
    )
    p.add_argument(
        "--uncertainty",
        nargs="+",
        type=float,
        default=[0.0, 0.2, 0.4, 0.6],
        help="detector error levels in [0, 1] (0: the ground truth)",
    )
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument(
        "--per-level",
        type=int,
        default=50,
        help="generated questions per level, besides 16 hand-written ones (default 50; level 1 "
        "has at most 15, one per class)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--workdir",
        type=Path,
        default=Path("rune-eval-work"),
        help="collections and their stores, built once (default ./rune-eval-work)",
    )
    p.add_argument(
        "--endpoint", help="keep the (one) collection in this SPARQL endpoint instead of --workdir"
    )
    p.add_argument("--update-endpoint", help="its update URL")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_eval)
