"""Image uncertainty: ground-truth objects turned into detections the way a detector errs, at a
graded level u in [0, 1] (0: the ground truth itself, every confidence 1), with a seed:
- missed objects: each dropped with probability 0.5 u;
- class confusion: each kept object takes a similar class (CONFUSABLE; a neighbouring damage
  level, DAMAGE_LEVELS) with probability 0.3 u;
- box jitter: the box moves by N(0, 0.15 u) of its long side per axis and scales by N(1, 0.1 u);
- false positives: Poisson(0.3 u n) boxes per image of n objects, copies of the image's boxes
  moved anywhere in its extent, with a random class (a damage level in an image of buildings);
- confidences: N(0.95 - 0.35 u, 0.05 + 0.1 u) for true detections, less for confused ones, and
  U(0.05, 0.6) for false positives, clipped to [0.01, 1].
"""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ingest.records import DotaImage, DotaObject

CONFUSABLE = {
    "small_vehicle": ["large_vehicle"],
    "large_vehicle": ["small_vehicle"],
    "plane": ["helicopter"],
    "helicopter": ["plane"],
    "tennis_court": ["basketball_court"],
    "basketball_court": ["tennis_court"],
    "soccer_ball_field": ["ground_track_field"],
    "ground_track_field": ["soccer_ball_field"],
    "storage_tank": ["roundabout"],
    "roundabout": ["storage_tank"],
    "harbor": ["bridge"],
    "bridge": ["harbor"],
    "ship": ["harbor"],
    "baseball_diamond": ["ground_track_field"],
    "swimming_pool": ["storage_tank"],
}
# damage classifiers confuse neighbouring levels of xBD's scale
DAMAGE_LEVELS = {
    "undamaged_building": ["minor_damage_building"],
    "minor_damage_building": ["undamaged_building", "major_damage_building"],
    "major_damage_building": ["minor_damage_building", "destroyed_building"],
    "destroyed_building": ["major_damage_building"],
}


def perturb(images: list[DotaImage], level: float, seed: int = 0) -> list[DotaImage]:
    """The images' objects as a detector with error level `level` would report them."""
    if not 0 <= level <= 1:
        raise EvaluationError(f"uncertainty level must be in [0, 1], got {level}")
    if level == 0:
        return [
            DotaImage(
                im.image_id,
                im.source_file,
                tuple(DotaObject(o.class_name, o.corners) for o in im.objects),
                im.image_source,
                im.gsd,
            )
            for im in images
        ]
    rng = np.random.default_rng(seed)
    confusable = CONFUSABLE | DAMAGE_LEVELS
    noisy = []
    for image in images:
        objects = []
        damage = all(o.class_name in DAMAGE_LEVELS for o in image.objects)
        classes = sorted(DAMAGE_LEVELS if damage else CONFUSABLE)  # of false positives
        all_corners = np.array([o.corners for o in image.objects], dtype=float).reshape(-1, 4, 2)
        for o, corners in zip(image.objects, all_corners):
            if rng.random() < 0.5 * level:
                continue
            name, confidence = o.class_name, rng.normal(0.95 - 0.35 * level, 0.05 + 0.1 * level)
            if name in confusable and rng.random() < 0.3 * level:
                name, confidence = rng.choice(confusable[name]), rng.normal(0.6, 0.15)
            side = np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[1])
            centre = corners.mean(axis=0)
            scale = max(0.3, rng.normal(1.0, 0.1 * level))
            moved = centre + (corners - centre) * scale + rng.normal(0, 0.15 * level * side / 2, 2)
            objects.append(
                DotaObject(
                    name, tuple(moved.reshape(-1).tolist()), float(np.clip(confidence, 0.01, 1)), 0
                )
            )
        if len(all_corners):
            low, high = (
                all_corners.reshape(-1, 2).min(axis=0),
                all_corners.reshape(-1, 2).max(axis=0),
            )
            for _ in range(rng.poisson(0.3 * level * len(all_corners))):
                corners = all_corners[rng.integers(len(all_corners))]
                moved = corners - corners.mean(axis=0) + rng.uniform(low, high)
                objects.append(
                    DotaObject(
                        str(rng.choice(classes)),
                        tuple(moved.reshape(-1).tolist()),
                        float(rng.uniform(0.05, 0.6)),
                        0,
                    )
                )
        noisy.append(
            DotaImage(
                image.image_id, image.source_file, tuple(objects), image.image_source, image.gsd
            )
        )
    return noisy
