"""The collections the benchmark runs on, built and ingested once into a work folder:
- real: the 25 real DOTA images bundled in rune_kg/data/sample;
- dota-v1: 2,800 images (DOTA v1.0's size) resampled from them (rune_kg.evaluation.synthetic:
  each image copies one real image's objects, layout, co-occurrences and sizes intact, tiled);
- dota-x4: 11,200 images, the same way, for scale beyond DOTA v1.0.
Each holds the ground truth as source "dota" and one detection run per uncertainty level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import EvaluationError
from ..ingest import ingest
from ..ingest.dota import write_detection_files
from ..ingest.records import DotaImage, RunInfo
from ..ingest.runfile import write_run_file
from ..kg import KnowledgeGraph, Store
from ..kg.stats import collection_stats
from .perturb import perturb
from .synthetic import CollectionSpec, read_real, synthetic_images, write_label_files

SAMPLE_LABELS = Path(__file__).resolve().parents[1] / "data" / "sample" / "labelTxt"
SIZES = {"real": None, "dota-v1": 2800, "dota-x4": 11200}
GROUND_TRUTH = "dota"


@dataclass
class Collection:
    name: str
    store: KnowledgeGraph
    images: list[DotaImage]
    sources: dict[float, str]  # uncertainty level -> source name (0: the ground truth)


def noise_source(level: float, seed: int) -> str:
    return f"noise-{level:.2f}-seed{seed}"


def prepare(
    name: str,
    workdir: Path,
    uncertainty: list[float],
    seed: int = 0,
    progress: bool = True,
    store=None,
) -> Collection:
    """Build (when missing) the collection's label files and store, with the ground truth and a
    perturbed detection run per uncertainty level; `store` (a RemoteStore, say) instead of the
    one in the work folder."""
    if name not in SIZES:
        raise EvaluationError(f"unknown collection {name!r} (known: {', '.join(SIZES)})")
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    labels = SAMPLE_LABELS if SIZES[name] is None else folder / "labelTxt"
    real = read_real(SAMPLE_LABELS)
    if SIZES[name] is None:
        images = real
    else:
        images = synthetic_images(real, CollectionSpec(images=SIZES[name], seed=seed))
        if not labels.exists():
            write_label_files(images, labels)
    store = store if store is not None else Store(folder / "store")
    runs = set(collection_stats(store)["runs"]) if len(store) else set()
    if GROUND_TRUTH not in runs:
        ingest([labels], store, source=GROUND_TRUTH, progress=progress)
    sources = {0.0: GROUND_TRUTH}
    for level in sorted(set(uncertainty) - {0.0}):
        source = noise_source(level, seed)
        if source not in runs:
            files = write_detection_files(perturb(images, level, seed), folder / source)
            # run.json lists every image, so those the noise emptied stay in the run
            # (as "no X" answers)
            run = RunInfo(
                source,
                f"simulated detector, uncertainty {level:g} (seed {seed})",
                datetime.now(UTC),
            )
            write_run_file(folder / source, run, {image.image_id: None for image in images})
            ingest(files, store, source=source, progress=progress)
        sources[level] = source
    return Collection(name, store, images, sources)
