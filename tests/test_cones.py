"""The directions as dominance (query/cones.py) against their definition (worlds.measured), on
centroids crowded onto a small grid: ties on the cones' edges, shared rows and columns, and
entities at the same centroid, in several worlds at once."""

import numpy as np
import pytest

from rune_kg.kg.geometry import DEFAULT_THRESHOLDS
from rune_kg.query import cones
from rune_kg.query.worlds import measured


def brute_force(name, first, world, cx, cy, asked, among):
    """Whether each asked entity has a partner among `among`, from the (n, n) relation."""
    columns = {"cx": cx, "cy": cy}
    holds = measured(
        name, lambda m: columns[m][:, None], lambda m: columns[m][None, :], DEFAULT_THRESHOLDS
    )
    holds = holds if first else holds.T  # [p, q]: name(p, q), else name(q, p)
    holds &= world[:, None] == world[None, :]
    np.fill_diagonal(holds, False)
    return (holds & among[None, :]).any(axis=1) & asked


@pytest.mark.parametrize("name", sorted(cones.KEYS))
@pytest.mark.parametrize("first", [True, False])
def test_dominance_is_the_direction(name, first):
    rng = np.random.default_rng(7)
    n = 300
    world = np.sort(rng.integers(0, 4, n))
    cx, cy = rng.integers(0, 6, n) * 0.25, rng.integers(0, 6, n) * 0.25
    some = np.flatnonzero(rng.random(n) < 0.8)  # the positions it is asked about
    dominance = cones.Dominance(some, world[some], cones.keys(cx[some], cy[some], name, first))
    for _ in range(3):
        asked, among = rng.random(n) < 0.5, rng.random(n) < 0.3
        asked[np.setdiff1d(np.arange(n), some)] = among[np.setdiff1d(np.arange(n), some)] = False
        assert np.array_equal(
            dominance.dominated(asked, among),
            brute_force(name, first, world, cx, cy, asked, among),
        )


def test_only_centroids_on_the_grid_are_exact():
    assert cones.exact(np.array([0.25, 1e6]), np.array([3.0, 0.5]))
    assert not cones.exact(np.array([0.1]), np.array([3.0]))  # not a multiple of 1/1024
    assert not cones.exact(np.array([2.0**25]), np.array([3.0]))
