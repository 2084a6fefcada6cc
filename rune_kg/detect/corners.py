"""mmrotate's oriented boxes (cx, cy, w, h, angle) as DOTA's 4 corner points.

The same arithmetic as mmrotate's `obb2poly_np` (the conversion its DOTA dataset uses to write
Task1 results), vectorised and without the score column: each angle convention puts the
corners in its own order, then the corners are rotated so the first is the one nearest the
top-left of the box's bounding rectangle (DOTA devkit's "best begin point").
"""

from __future__ import annotations

import numpy as np

ANGLE_VERSIONS = ("oc", "le135", "le90")


def obb_to_corners(obbs: np.ndarray, angle_version: str) -> np.ndarray:
    """(n, 5) boxes [cx, cy, w, h, angle in radians] -> (n, 8) corners [x1, y1, ..., x4, y4]."""
    if angle_version not in ANGLE_VERSIONS:
        raise ValueError(
            f"unknown angle version {angle_version!r} (known: {', '.join(ANGLE_VERSIONS)})"
        )
    obbs = np.asarray(obbs)
    # mmrotate computes in the dtype of its results (float32); so does this.
    obbs = obbs.astype(
        obbs.dtype if np.issubdtype(obbs.dtype, np.floating) else np.float64
    ).reshape(-1, 5)
    cx, cy, w, h, a = obbs.T
    cos, sin = np.cos(a), np.sin(a)
    if angle_version == "le135":
        # The rectangle's corners tl, tr, br, bl rotated about the centre.
        dx = np.stack([-w / 2, w / 2, w / 2, -w / 2], axis=1)
        dy = np.stack([-h / 2, -h / 2, h / 2, h / 2], axis=1)
        xs = cos[:, None] * dx - sin[:, None] * dy + cx[:, None]
        ys = sin[:, None] * dx + cos[:, None] * dy + cy[:, None]
        corners = np.stack([xs, ys], axis=2)
    else:
        # oc and le90: centre -/+ half the width vector -/+ half the height vector.
        wx, wy = w / 2 * cos, w / 2 * sin
        hx, hy = -h / 2 * sin, h / 2 * cos
        corners = np.stack(
            [
                np.stack([cx - wx - hx, cy - wy - hy], axis=1),
                np.stack([cx + wx - hx, cy + wy - hy], axis=1),
                np.stack([cx + wx + hx, cy + wy + hy], axis=1),
                np.stack([cx - wx + hx, cy - wy + hy], axis=1),
            ],
            axis=1,
        )
    return _best_begin_point(corners.astype(np.float64)).reshape(-1, 8)


def _best_begin_point(corners: np.ndarray) -> np.ndarray:
    """Rotate each (4, 2) corner list so its summed distance to the bounding rectangle's
    tl, tr, br, bl is least (the first such rotation on ties)."""
    low, high = corners.min(axis=1), corners.max(axis=1)
    target = np.stack(
        [low, np.stack([high[:, 0], low[:, 1]], 1), high, np.stack([low[:, 0], high[:, 1]], 1)],
        axis=1,
    )
    rotations = np.stack([np.roll(corners, -k, axis=1) for k in range(4)], axis=1)  # (n, 4, 4, 2)
    diff = rotations - target[:, None]
    cost = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2).sum(axis=2)
    best = cost.argmin(axis=1)
    return rotations[np.arange(len(corners)), best]
