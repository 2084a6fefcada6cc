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
    # 0-3: centroids 60 apart, within 50 + both radii; polygons exactly 50 apart: not far
    assert (0, 3) not in pairs(rel.far_within_bound)
    # 0-4: centroids 60.5 apart, within the bound too; polygons 50.5 apart: stored as far
    assert (0, 4) in pairs(rel.far_within_bound)


def brute_force(boxes):
    """Every relation from the polygon distance of every ordered pair, as the definitions say."""
    import shapely

    from rune_kg.kg.geometry import bound_far, intersection_areas

    n = len(boxes)
    a, b = np.nonzero(~np.eye(n, dtype=bool))
    polys = boxes.polygons
    dist = shapely.distance(polys[a], polys[b])
    max_long = np.maximum(boxes.long_side[a], boxes.long_side[b])
    far = dist > 5 * max_long
    by_bound = bound_far(
        boxes.cx[a] - boxes.cx[b],
        boxes.cy[a] - boxes.cy[b],
        boxes.long_side[a],
        boxes.long_side[b],
        boxes.radius[a],
        boxes.radius[b],
        5.0,
    )
    assert not np.any(by_bound & ~far), "the bound calls a pair far that is not"
    touching = (dist == 0) & (boxes.area[a] > 0) & (boxes.area[b] > 0)
    inter = np.zeros(len(a))
    inter[touching] = intersection_areas(polys[a[touching]], polys[b[touching]])
    both = np.stack([a, b], axis=1)
    return {
        "near": pairs(both[dist <= max_long]),
        "far_within_bound": pairs(both[far & ~by_bound]),
        "overlaps": pairs(both[inter > 0]),
        "inside": pairs(both[(inter > 0) & (inter >= 0.9 * boxes.area[a])]),
    }


def test_pair_relations_equal_the_definitions_on_random_boxes_and_outlines():
    """The bounds that spare GEOS most pairs never change an answer: random rotated boxes
    (some self-crossing or degenerate), and outlines (concave, holed, several parts)."""
    import shapely

    rng = np.random.default_rng(7)
    for trial in range(6):
        n = 80
        centre = rng.uniform(0, 400, (n, 1, 2)).round(trial % 2)
        size = rng.uniform(0, 30, (n, 1, 2)) * [1, rng.uniform(0.1, 1)]
        angle = rng.uniform(0, np.pi, (n, 1))
        unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * size
        rotated = np.stack(
            [
                unit[..., 0] * np.cos(angle) - unit[..., 1] * np.sin(angle),
                unit[..., 0] * np.sin(angle) + unit[..., 1] * np.cos(angle),
            ],
            axis=-1,
        )
        corners = centre + rotated
        corners[:5] = corners[:5][:, [0, 2, 1, 3]]  # self-crossing
        corners[5:8] = centre[5:8]  # points
        outlines = [None] * n
        for k in range(10, 20):
            x, y = centre[k, 0]
            if k % 3 == 0:  # an L: its centroid can lie outside it
                outline = shapely.Polygon([(x, y), (x + 40, y), (x + 40, y + 4), (x + 4, y + 4),
                                           (x + 4, y + 40), (x, y + 40)])  # fmt: skip
            elif k % 3 == 1:  # a ring
                outline = shapely.box(x, y, x + 30, y + 30).difference(
                    shapely.box(x + 2, y + 2, x + 28, y + 28)
                )
            else:  # two parts
                outline = shapely.MultiPolygon(
                    [shapely.box(x, y, x + 5, y + 5), shapely.box(x + 25, y + 3, x + 31, y + 9)]
                )
            outlines[k] = outline
        boxes = Boxes.from_entities(corners, outlines)
        found = pair_relations(boxes)
        expected = brute_force(boxes)
        for name, wanted in expected.items():
            assert pairs(getattr(found, name)) == wanted, (trial, name)
