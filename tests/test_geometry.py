import numpy as np

from rune_kg.kg.geometry import Boxes, pair_relations


def square(x, y, side):
    return [x, y, x + side, y, x + side, y + side, x, y + side]


def pairs(rel):
    return {tuple(p) for p in rel.tolist()}


def test_derived_quantities():
    b = Boxes.from_corners(
        np.array([[0, 0, 10, 0, 10, 4, 0, 4], [0, 0, 0, 0, 0, 0, 0, 0]], dtype=float)
    )
    assert (b.cx[0], b.cy[0], b.area[0], b.long_side[0], b.heading[0]) == (
        5.0,
        2.0,
        40.0,
        10.0,
        0.0,
    )
    assert b.area[1] == 0.0  # a point is a valid box


def test_near_far_overlap_inside_at_their_thresholds():
    # 0: 10x10 at origin; 1: 10x10 exactly 10 away (near: dist <= max L);
    # 2: 2x2 inside 0; 3: 10x10 exactly 50 away from 0 (not far: dist <= 5 max L); 4: beyond 50
    corners = np.array(
        [
            square(0, 0, 10),
            square(20, 0, 10),
            square(4, 4, 2),
            square(60, 0, 10),
            square(0, 60.5, 10),
        ],
        dtype=float,
    )
    rel = pair_relations(Boxes.from_corners(corners))
    near = pairs(rel.near)
    assert (0, 1) in near and (1, 0) in near and (0, 3) not in near
    assert pairs(rel.overlaps) == {(0, 2), (2, 0)}
    assert pairs(rel.inside) == {(2, 0)}
    # 0-3: centroids 60 apart > 50 but polygons exactly 50 apart: stored as not far
    assert (0, 3) in pairs(rel.not_far_despite_centroids)
    # 0-4: polygons 50.5 apart: far, no correction stored
    assert (0, 4) not in pairs(rel.not_far_despite_centroids)
