"""parallel as a window of headings, for every world at once: how many partners of each entity
are parallel to it, and which, without testing every pair of its world (n log n a world
instead of n^2).

parallel(a, b) holds when min(d, 180 - d) <= t for d = |heading(a) - heading(b)| (headings in
[0, 180]). Each partner is placed three times on one line, at its heading - 180, + 0 and + 180,
each world on a stretch of the line of its own; the partners of a are then the points within t
of a's heading: two binary searches. A point within MARGIN of the window's ends is tested with
the definition itself (worlds.measured), so that the answer is the definition's bit for bit:
MARGIN is far above the rounding of the positions on the line (world x 1024 + heading: steps of
2^-19 at most below ten million worlds).
"""

from __future__ import annotations

import numpy as np

from ..kg.geometry import Thresholds
from ..kg.index import EntityIndex, spans
from .worlds import measured

MARGIN = 1e-4
_STRETCH = 1024.0  # each world's part of the line, from 0: its points lie in [76, 616]
_SHIFTS = np.array([-180.0, 0.0, 180.0])


def usable(index: EntityIndex, rows: np.ndarray, t: Thresholds) -> bool:
    """Whether the window gives parallel on these rows: headings in [0, 180], and a window
    wider than the margins and short enough to hold one copy of a partner at most."""
    headings = index.heading[rows]
    return MARGIN <= t.parallel_degrees < 80 and bool(np.all((headings >= 0) & (headings <= 180)))


class Window:
    """The parallel partners among `candidates` (rows, sorted), for any rows of their worlds."""

    def __init__(self, index: EntityIndex, candidates: np.ndarray, t: Thresholds):
        self.index, self.t = index, t
        line = self._place(candidates, _SHIFTS[:, None]).ravel()
        order = np.argsort(line, kind="stable")
        self.line = line[order]
        self.partner = np.tile(candidates, 3)[order]
        self.candidate = np.zeros(len(index), dtype=bool)
        self.candidate[candidates] = True

    def _place(self, rows: np.ndarray, shift: np.ndarray | float) -> np.ndarray:
        start = self.index.world_of_row[rows] * _STRETCH + 256.0
        return start + (self.index.heading[rows] + shift)

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """How many partners each of `rows` has (itself not counted)."""
        low, high, i, _ = self._windows(rows)
        counts = high - low - self.candidate[rows]  # its own copy at + 0 is inside
        at = np.searchsorted(rows, i)
        return counts + np.bincount(at, minlength=len(rows))

    def pairs(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (row, partner) of `rows` (distinct, sorted)."""
        low, high, band_i, band_j = self._windows(rows)
        i = np.repeat(rows, high - low)
        j = self.partner[spans(low, high - low)]
        keep = i != j
        return np.concatenate([i[keep], band_i]), np.concatenate([j[keep], band_j])

    def _windows(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """For `rows` (distinct, sorted): where the points surely within t begin and end on
        the line, and the pairs (row, partner) near the window's ends that the definition
        makes parallel."""
        at = self._place(rows, 0.0)
        t = self.t.parallel_degrees
        low = np.searchsorted(self.line, at - t + MARGIN, "left")
        high = np.searchsorted(self.line, at + t - MARGIN, "right")
        outer_low = np.searchsorted(self.line, at - t - MARGIN, "left")
        outer_high = np.searchsorted(self.line, at + t + MARGIN, "right")
        sizes = np.concatenate([low - outer_low, outer_high - high])
        i = np.repeat(np.concatenate([rows, rows]), sizes)
        j = self.partner[spans(np.concatenate([outer_low, high]), sizes)]
        heading = self.index.heading
        holds = (i != j) & measured("parallel", lambda m: heading[i], lambda m: heading[j], self.t)
        return low, high, i[holds], j[holds]
