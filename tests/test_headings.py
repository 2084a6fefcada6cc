"""parallel as a window of headings (query/headings.py) against its definition
(worlds.measured), on headings crowded onto a grid of 2.5 degrees: differences of exactly the
threshold and of 180 less it, and a rounding error or a margin away from them; headings 0 and
180, equal headings, in several worlds at once."""

import numpy as np
import pytest

from rune_kg.kg.geometry import DEFAULT_THRESHOLDS, Thresholds
from rune_kg.query import headings
from rune_kg.query.worlds import measured


def brute_force(world, heading, rows, candidates, t):
    """(row, partner) of every pair that the definition makes parallel."""
    holds = measured(
        "parallel", lambda m: heading[rows][:, None], lambda m: heading[candidates][None, :], t
    )
    holds &= world[rows][:, None] == world[candidates][None, :]
    holds &= rows[:, None] != candidates[None, :]
    at, partner = np.nonzero(holds)
    return rows[at], candidates[partner]


@pytest.mark.parametrize("degrees", [DEFAULT_THRESHOLDS.parallel_degrees, 7.5, 2 * headings.MARGIN])
def test_the_window_is_parallel(degrees):
    rng = np.random.default_rng(3)
    n = 400
    world = np.sort(rng.integers(0, 5, n))
    heading = rng.integers(0, 73, n) * 2.5  # 0 to 180
    jitter = rng.choice([0.0, 1e-13, -1e-13, 1e-9, -1e-9, 3e-5, -3e-5], n)  # in the margins
    heading = np.clip(heading + jitter, 0.0, 180.0)
    index = _Index(world, heading)
    t = Thresholds(parallel_degrees=degrees)
    for _ in range(3):
        candidates = np.flatnonzero(rng.random(n) < 0.6)
        rows = np.flatnonzero(rng.random(n) < 0.5)
        assert headings.usable(index, np.concatenate([rows, candidates]), t)
        window = headings.Window(index, candidates, t)
        i, j = brute_force(world, heading, rows, candidates, t)
        expected = np.bincount(np.searchsorted(rows, i), minlength=len(rows))
        assert np.array_equal(window.counts(rows), expected)
        found = sorted(zip(*(a.tolist() for a in window.pairs(rows))))
        assert found == sorted(zip(i.tolist(), j.tolist()))


def test_headings_outside_the_half_turn_or_thresholds_out_of_range_are_not_windowed():
    index = _Index(np.zeros(2, dtype=int), np.array([10.0, 181.0]))
    assert not headings.usable(index, np.arange(2), DEFAULT_THRESHOLDS)
    wide = Thresholds(parallel_degrees=85)  # a window would hold two copies of a heading
    one = _Index(np.zeros(1, dtype=int), np.array([10.0]))
    assert not headings.usable(one, [0], wide)
    assert not headings.usable(one, [0], Thresholds(parallel_degrees=0))  # equal headings only


class _Index:
    """The two columns of the entity index that the window reads."""

    def __init__(self, world, heading):
        self.world_of_row, self.heading = world, heading

    def __len__(self):
        return len(self.heading)
