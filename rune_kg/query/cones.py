"""The four directions as dominance, for every world at once: "which entities have some
partner to their right", without listing the pairs.

left_of(a, b) holds when b lies in the 90-degree cone that opens to the right of a: with
dx = cx(b) - cx(a) and dy = cy(b) - cy(a), dx > 0 and abs(dy) <= dx, that is dx + dy >= 0 and
dx - dy >= 0, not both 0. So b dominates a in the coordinates (x + y, x - y): both are at least
a's and the point differs. Each direction has its pair of coordinates (KEYS); a partner as
first argument dominates in their negation. Whether an entity has a dominating partner is one
sort and one running maximum per world.

The test runs on integer coordinates (the centroids times 1024); it is used only where that is
exact (centroids on a 1/1024 pixel grid, within 2**24 pixels: DOTA's are on a 1/4 grid), so
that it agrees with the definition (query language) bit for bit.
"""

from __future__ import annotations

import numpy as np

_SCALE = 1024
_LIMIT = 2**24
# name -> the coordinates b dominates a in when name(a, b): (sign of x, sign of y) of each
KEYS = {
    "left_of": ((1, 1), (1, -1)),
    "right_of": ((-1, -1), (-1, 1)),
    "above": ((1, 1), (-1, 1)),
    "below": ((-1, -1), (1, -1)),
}


def exact(cx: np.ndarray, cy: np.ndarray) -> bool:
    """Whether the centroids lie on the integer grid that the test uses."""
    for column in (cx, cy):
        scaled = column * _SCALE
        if not (np.all(np.abs(column) < _LIMIT) and np.array_equal(scaled, np.round(scaled))):
            return False
    return True


def keys(cx: np.ndarray, cy: np.ndarray, name: str, first: bool) -> np.ndarray:
    """(2, n) integer coordinates in which the partner of each centroid dominates it, for
    name(entity, partner) (first) or name(partner, entity)."""
    x = np.round(cx * _SCALE).astype(np.int64)
    y = np.round(cy * _SCALE).astype(np.int64)
    sign = 1 if first else -1
    return np.stack([sign * (sx * x + sy * y) for sx, sy in KEYS[name]])


class Dominance:
    """Some positions (`positions`, sorted; `world` and `key` of each, the key's on axis 1),
    sorted once to answer, for any subsets of them, which are dominated by a position of
    another subset in their world: key[:, q] >= key[:, p], the two not equal."""

    def __init__(self, positions: np.ndarray, world: np.ndarray, key: np.ndarray):
        a, b = key
        by_key = np.lexsort((-b, -a, world))  # by world, then a and b descending
        self.order = positions[by_key]
        a, b, w = a[by_key], b[by_key], world[by_key]
        new_world = np.concatenate([[True], w[1:] != w[:-1]]) if len(w) else np.zeros(0, bool)
        # groups of one world and one a: the points of earlier groups have a greater a
        self.starts = np.flatnonzero(
            new_world | np.concatenate([[True], a[1:] != a[:-1]])[: len(a)]
        )
        self.group = np.repeat(np.arange(len(self.starts)), np.diff(np.append(self.starts, len(a))))
        # a running maximum of b restarts with each world: each world is lifted above the ones
        # before it, and a point outside the subset counts as its world's floor
        self.b = b - (b.min() if len(b) else 0) + 1  # from 1
        span = int(self.b.max()) + 1 if len(b) else 1
        self.base = (np.cumsum(new_world) - 1) * span

    def dominated(self, asked: np.ndarray, among: np.ndarray) -> np.ndarray:
        """For each position (booleans; False where not `asked`): whether a position of
        `among` in its world dominates it."""
        found = np.zeros(len(asked), dtype=bool)
        if not len(self.order):
            return found
        partner = among[self.order]
        running = np.maximum.accumulate(self.base + np.where(partner, self.b, 0))
        before = np.where(self.starts > 0, running[np.maximum(self.starts - 1, 0)], -1)
        greater_a = before[self.group] - self.base >= self.b  # a greater, b at least
        same_a = np.maximum.reduceat(np.where(partner, self.b, 0), self.starts)[self.group] > self.b
        found[self.order] = (greater_a | same_a) & asked[self.order]
        return found
