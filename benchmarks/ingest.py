"""Ingest on DOTA v1.0: time, peak memory and store size, against a bulk load of the same quads.

    python benchmarks/ingest.py [--labels DIR] [--times N] [--workdir DIR] [--no-bulk]
        [--no-settle]

Ingests the DOTA v1.0 train + val labels (benchmarks/data.py: --labels, else the repository's
copy) into a fresh on-disk store in a child process (`rune ingest`, whose peak resident memory,
workers included, is read from the OS), and prints images, entities, triples, seconds and the
store's size twice: as ingest leaves it, and settled (after `Store.optimize()`, what `rune
ingest --compact` runs and RocksDB would otherwise run in the background at the next opening
read-write; its time is `compact_seconds`; --no-settle skips it, since compacting needs free
disk beside the store). With --times N > 1 the
collection is N times the real images, drawn from them with replacement and mirrored
(rune_kg.evaluation.synthetic.drawn_images), for scale: --times 54 is about 100,000 images.
Unless --no-bulk, the store's quads are then exported as N-Quads and bulk-loaded by pyoxigraph
into another fresh store, measured the same way: the floor that ingest is compared with.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from data import dota_v1_labels

from rune_kg.evaluation.synthetic import drawn_images, read_real, write_label_files

_BULK_CHILD = """
import resource, sys, time, pyoxigraph as ox
store = ox.Store(sys.argv[1])
started = time.perf_counter()
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)
store.flush()
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def store_mb(path: Path) -> float:
    """The Oxigraph files only (not the entity index beside them)."""
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file()) / 1e6


def settled(path: Path) -> tuple[float, float]:
    """Seconds to compact the store, and its size after."""
    store = ox.Store(str(path))
    started = time.perf_counter()
    store.optimize()
    seconds = time.perf_counter() - started
    del store
    return seconds, store_mb(path)


def child_peak_mb() -> float:
    """The largest resident set of the children waited for so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, help="DOTA v1.0 labelTxt folder (default: ours)")
    parser.add_argument("--times", type=int, default=1, help="resample to N x the real images")
    parser.add_argument("--workdir", type=Path, help="keep the stores here")
    parser.add_argument("--no-bulk", action="store_true", help="skip the bulk-load comparison")
    parser.add_argument("--no-settle", action="store_true", help="skip the compaction")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rune-bench-ingest-"))
    labels = dota_v1_labels(args.labels)
    if args.times > 1:
        real = read_real(labels)
        images = drawn_images(real, args.times * len(real))
        labels = workdir / "labelTxt"
        shutil.rmtree(labels, ignore_errors=True)
        write_label_files(images, labels)
    store_dir = workdir / "store"
    shutil.rmtree(store_dir, ignore_errors=True)

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rune_kg.cli", "ingest", str(labels), "--store", str(store_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    counts = re.search(r"ingested (\d+) images, (\d+) entities, (\d+) triples", done.stdout)
    result = {
        "images": int(counts[1]),
        "entities": int(counts[2]),
        "triples": int(counts[3]),
        "seconds": round(seconds, 1),
        "peak_mb": round(child_peak_mb()),
        "store_mb": round(store_mb(store_dir)),
        "index_mb": round(sum(folder_mb(p) for p in store_dir.glob("rune-index-*"))),
    }
    if not args.no_settle:
        seconds, size = settled(store_dir)
        result |= {"compact_seconds": round(seconds, 1), "settled_store_mb": round(size)}
    print(json.dumps(result), flush=True)
    if not args.no_bulk:
        quads, bulk_dir = workdir / "quads.nq", workdir / "bulk"
        shutil.rmtree(bulk_dir, ignore_errors=True)
        ox.Store.read_only(str(store_dir)).dump(str(quads), format=ox.RdfFormat.N_QUADS)
        done = subprocess.run(
            [sys.executable, "-c", _BULK_CHILD, str(bulk_dir), str(quads)],
            capture_output=True,
            text=True,
            check=True,
        )
        bulk_seconds, bulk_peak = map(float, done.stdout.split())
        result |= {
            "bulk_seconds": round(bulk_seconds, 1),
            "bulk_peak_mb": round(bulk_peak),
            "bulk_store_mb": round(store_mb(bulk_dir)),
            "bulk_settled_store_mb": round(settled(bulk_dir)[1]),
        }
        if "settled_store_mb" in result:
            result["settled_ratio"] = round(
                result["settled_store_mb"] / result["bulk_settled_store_mb"], 2
            )
        quads.unlink()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
