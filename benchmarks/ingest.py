"""Ingest throughput at DOTA v1.0 scale: a resampled collection of real annotations.

    python benchmarks/ingest.py [--images 2800] [--workdir DIR]

Builds the collection (rune_kg.evaluation.synthetic), ingests it into a fresh on-disk store,
and prints
images, entities, triples, relations, seconds and entities/s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from rune_kg.evaluation.synthetic import (
    CollectionSpec,
    read_real,
    synthetic_images,
    write_label_files,
)
from rune_kg.ingest import ingest
from rune_kg.kg import Store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "dota" / "labelTxt"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=2800)
    parser.add_argument("--real", type=Path, default=SHARED, help="folder of real labelTxt files")
    parser.add_argument("--workdir", type=Path, help="keep the collection and store here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rune-bench-"))
    labels, store_dir = workdir / "labelTxt", workdir / "store"
    shutil.rmtree(labels, ignore_errors=True)
    shutil.rmtree(store_dir, ignore_errors=True)
    images = synthetic_images(read_real(args.real), CollectionSpec(images=args.images))
    write_label_files(images, labels)
    counts = sorted(len(i.objects) for i in images)
    print(
        f"collection: {len(images)} images, {sum(counts)} objects, median "
        f"{counts[len(counts) // 2]}, max {counts[-1]}"
    )
    store = Store(store_dir)
    started = time.perf_counter()
    report = ingest([labels], store, source="dota")
    seconds = time.perf_counter() - started
    result = {
        "images": report.images,
        "entities": report.entities,
        "triples": report.triples,
        "relations": report.relations,
        "seconds": round(seconds, 2),
        "entities_per_s": round(report.entities / seconds),
        "triples_per_s": round(report.triples / seconds),
        "store": str(store_dir),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
