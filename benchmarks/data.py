"""The data the benchmarks run on: DOTA v1.0 train + val annotations (1,869 images, 127,843
objects), from a user's labelTxt folder (--labels) or, in this repository, extracted once from
../shared/data/dota-v1/labels.tar.gz into .cache/dota-v1 (beside the project root)."""

from __future__ import annotations

import argparse
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "data" / "dota-v1" / "labels.tar.gz"
CACHE = ROOT / ".cache" / "dota-v1"
FILES = 1869
WORKDIR = Path("/tmp/rune-bench-dota-v1")  # the query benchmark's store, shared by the others


def store_arguments(doc: str) -> argparse.ArgumentParser:
    """A benchmark's parser with --labels and --workdir (where its DOTA v1.0 store is kept)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, help="DOTA v1.0 labelTxt folder (default: ours)")
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    return parser


def dota_v1_labels(labels: Path | None = None) -> Path:
    """The labelTxt folder to use: `labels` when given, else the repository's extracted copy."""
    if labels is not None:
        if not labels.is_dir():
            raise SystemExit(f"--labels: no such folder: {labels}")
        return labels
    folder = CACHE / "labelTxt"
    if len(list(folder.glob("*.txt"))) == FILES:
        return folder
    if not ARCHIVE.is_file():
        raise SystemExit(
            f"no DOTA v1.0 labels: pass --labels DIR (a labelTxt folder), or put {ARCHIVE} in place"
        )
    CACHE.mkdir(parents=True, exist_ok=True)
    with tarfile.open(ARCHIVE) as archive:
        archive.extractall(CACHE, filter="data")
    return folder
