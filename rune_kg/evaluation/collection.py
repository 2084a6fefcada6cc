"""The collections the benchmark runs on, built and ingested once into a work folder:
- dota-v1: a DOTA v1.0 labelTxt folder (--labels), the real data set: the default;
- sample: the 25 real DOTA images bundled in rune_kg/data/sample (no download needed);
- dota-v1-x4: four times as many images resampled from --labels (synthetic.drawn_images: each
  a real image drawn with replacement and mirrored at random), only to measure scale.
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
from . import COLLECTIONS
from .perturb import perturb
from .synthetic import drawn_images, read_real, write_label_files

SAMPLE_LABELS = Path(__file__).resolve().parents[1] / "data" / "sample" / "labelTxt"
GROUND_TRUTH = "dota"


@dataclass
class Collection:
    name: str
    store: KnowledgeGraph
    images: list[DotaImage]
    sources: dict[float, str]  # uncertainty level -> source name (0: the ground truth)


def noise_source(level: float, seed: int) -> str:
    return f"noise-{level:.2f}-seed{seed}"


def check(name: str, labels: Path | None) -> None:
    """Raise EvaluationError unless the collection is known and has the labels it needs."""
    if name not in COLLECTIONS:
        raise EvaluationError(f"unknown collection {name!r} (known: {', '.join(COLLECTIONS)})")
    if name != "sample" and (labels is None or not Path(labels).is_dir()):
        raise EvaluationError(
            f"the {name} collection needs --labels DIR: DOTA v1.0's labelTxt folder (train + "
            "val); without it, --collection sample runs on the 25 bundled images"
            + (f" ({labels} is not a folder)" if labels is not None else "")
        )


def prepare(
    name: str,
    workdir: Path,
    uncertainty: list[float],
    seed: int = 0,
    progress: bool = True,
    store=None,
    labels: Path | None = None,
) -> Collection:
    """Build (when missing) the collection's store, with the ground truth and a perturbed
    detection run per uncertainty level; `labels` is the DOTA v1.0 labelTxt folder (needed by
    dota-v1 and dota-v1-x4); `store` (a RemoteStore, say) instead of the work folder's."""
    check(name, labels)
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    if name == "sample":
        labels = SAMPLE_LABELS
        images = read_real(labels)
    elif name == "dota-v1":
        images = read_real(Path(labels))
    else:
        real = read_real(Path(labels))
        images = drawn_images(real, 4 * len(real), seed=seed)
        labels = folder / "labelTxt"
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
