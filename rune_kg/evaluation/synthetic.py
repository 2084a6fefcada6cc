"""Larger collections made from real DOTA annotations, for scale benchmarks.

- drawn_images, from a real collection (DOTA v1.0): each image is one of the real images,
  drawn with replacement and mirrored at random, so the collection keeps the real
  distribution of objects per image and of classes per image.
- synthetic_images, from a few real images (the 25 of the sample): each image copies the
  objects of one real image (its layout, co-occurrences and sizes intact), tiled side by side
  with a small random shift per tile, until it holds the number of objects drawn for it.
  Counts per image follow a log-normal distribution clipped to [min_objects, max_objects],
  skewed like DOTA's (most images hold tens of objects, a few thousands). A tiled image may
  hold far more objects of one class than any real image does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ingest.dota import read_label_file
from ..ingest.records import DotaImage, DotaObject
from ..vocab import leaf_classes


@dataclass(frozen=True)
class CollectionSpec:
    images: int = 2800
    mean_objects: float = 68.0  # DOTA v1.0: about 188k objects in 2,806 images
    sigma: float = 1.3
    min_objects: int = 1
    max_objects: int = 2500
    seed: int = 0


def object_counts(spec: CollectionSpec) -> np.ndarray:
    rng = np.random.default_rng(spec.seed)
    mu = np.log(spec.mean_objects) - spec.sigma**2 / 2  # log-normal with the requested mean
    counts = np.clip(
        np.rint(rng.lognormal(mu, spec.sigma, spec.images)), spec.min_objects, spec.max_objects
    )
    counts[rng.integers(spec.images)] = spec.max_objects  # one image at the maximum, as DOTA has
    return counts.astype(int)


def drawn_images(real: list[DotaImage], images: int, seed: int = 0) -> list[DotaImage]:
    """`images` images drawn from `real` with replacement, each mirrored left-right,
    top-bottom, both or neither (at random) about the centre of its objects' extent; corners
    keep their order around the box, the first corner first."""
    rng = np.random.default_rng(seed)
    sources = [im for im in real if im.objects]
    drawn = []
    for k, (pick, flip_x, flip_y) in enumerate(
        zip(rng.integers(len(sources), size=images), *rng.integers(2, size=(2, images)))
    ):
        base = sources[pick]
        corners = np.array([o.corners for o in base.objects]).reshape(-1, 4, 2)
        for axis, flip in ((0, flip_x), (1, flip_y)):
            if flip:
                values = corners[:, :, axis]
                corners[:, :, axis] = values.min() + values.max() - values
        if flip_x != flip_y:  # one mirror reverses the corners' turning
            corners = corners[:, [0, 3, 2, 1]]
        objects = tuple(
            DotaObject(o.class_name, tuple(c.reshape(-1).tolist()), o.confidence, o.difficult)
            for o, c in zip(base.objects, corners)
        )
        drawn.append(
            DotaImage(
                f"D{k:06d}", f"drawn from {base.image_id}", objects, base.image_source, base.gsd
            )
        )
    return drawn


def synthetic_images(real: list[DotaImage], spec: CollectionSpec) -> list[DotaImage]:
    rng = np.random.default_rng(spec.seed + 1)
    sources = [im for im in real if im.objects]
    images = []
    for k, count in enumerate(object_counts(spec)):
        base = sources[rng.integers(len(sources))]
        corners = np.array([o.corners for o in base.objects]).reshape(-1, 4, 2)
        extent = corners.reshape(-1, 2).max(axis=0) + 50.0
        objects: list[DotaObject] = []
        tile = 0
        while len(objects) < count:
            order = rng.permutation(len(base.objects))[: count - len(objects)]
            shift = extent * np.array([tile % 4, tile // 4]) + rng.uniform(-20, 20, 2)
            for i in order:
                o = base.objects[i]
                moved = (corners[i] + shift).reshape(-1)
                objects.append(
                    DotaObject(
                        o.class_name, tuple(float(v) for v in moved), o.confidence, o.difficult
                    )
                )
            tile += 1
        images.append(
            DotaImage(
                f"S{k:05d}",
                f"synthetic from {base.image_id}",
                tuple(objects),
                base.image_source,
                base.gsd,
            )
        )
    return images


def write_label_files(images: list[DotaImage], folder: Path) -> list[Path]:
    """Write images as DOTA labelTxt files (one per image) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    dota = {c.name: dota_name for dota_name, c in leaf_classes().items()}
    paths = []
    for image in images:
        lines = [f"imagesource:{image.image_source or 'unknown'}", f"gsd:{image.gsd or 'null'}"]
        lines += [
            " ".join(f"{v:g}" for v in o.corners) + f" {dota[o.class_name]} {o.difficult}"
            for o in image.objects
        ]
        path = folder / f"{image.image_id}.txt"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def read_real(folder: Path) -> list[DotaImage]:
    return [read_label_file(p) for p in sorted(folder.glob("*.txt"))]
