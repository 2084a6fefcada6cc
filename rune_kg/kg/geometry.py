"""Entity geometry and the spatial relations of the query language (docs/query-language.md),
vectorised with numpy and shapely.

Everything works on one image's entities at a time, in pixel coordinates (x right, y down). An
entity is an oriented box (4 corners) or a polygon outline (a mask's, an xBD label's; holes
and several parts allowed): for an outline, the centroid is its area centroid and the long
side and heading are those of its minimum rotated rectangle, whose corners stand in `corners`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Thresholds:
    """The numbers in the spatial predicates' definitions (QUERY_LANGUAGE.md defaults)."""

    near_factor: float = 1.0  # near: dist <= near_factor * max(L(a), L(b))
    far_factor: float = 5.0  # far_from: dist > far_factor * max(L(a), L(b))
    inside_ratio: float = 0.9  # inside: area(a ∩ b) >= inside_ratio * A(a)
    parallel_degrees: float = 10.0  # parallel: headings differ by at most this (mod 180)


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Boxes:
    """Derived quantities of n entities: oriented boxes, or polygon outlines where `outlines`
    holds one (a shapely geometry; None for a box)."""

    corners: np.ndarray  # (n, 4, 2): the box, or the outline's minimum rotated rectangle
    cx: np.ndarray
    cy: np.ndarray
    area: np.ndarray
    long_side: np.ndarray
    heading: np.ndarray  # degrees in [0, 180)
    outlines: np.ndarray | None = None  # (n,) objects, or None when every entity is a box

    def __len__(self) -> int:
        return len(self.cx)

    @classmethod
    def from_corners(cls, corners: np.ndarray) -> Boxes:
        corners = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
        x, y = corners[..., 0], corners[..., 1]
        cx = (((x[:, 0] + x[:, 1]) + x[:, 2]) + x[:, 3]) / 4.0
        cy = (((y[:, 0] + y[:, 1]) + y[:, 2]) + y[:, 3]) / 4.0
        area = 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1))
        long_side, heading = _long_side_and_heading(corners)
        return cls(corners, cx, cy, area, long_side, heading)

    @classmethod
    def from_entities(cls, corners: np.ndarray, outlines: list) -> Boxes:
        """Boxes, with polygon outlines where `outlines` has one (None: the row's box)."""
        boxes = cls.from_corners(corners)
        rows = [k for k, outline in enumerate(outlines) if outline is not None]
        if not rows:
            return boxes
        import shapely

        shapes = np.array(outlines, dtype=object)[rows]
        centroids = shapely.centroid(shapes)
        rectangles = [_rectangle_corners(shape) for shape in shapes]
        corners = boxes.corners.copy()
        corners[rows] = rectangles
        long_side, heading = boxes.long_side.copy(), boxes.heading.copy()
        long_side[rows], heading[rows] = _long_side_and_heading(np.array(rectangles))
        cx, cy, area = boxes.cx.copy(), boxes.cy.copy(), boxes.area.copy()
        cx[rows], cy[rows] = shapely.get_x(centroids), shapely.get_y(centroids)
        area[rows] = shapely.area(shapes)
        all_outlines = np.empty(len(outlines), dtype=object)
        all_outlines[rows] = shapes
        return cls(corners, cx, cy, area, long_side, heading, all_outlines)

    @cached_property
    def radius(self) -> np.ndarray:
        """An upper bound on the distance from each centroid to any point of its entity: the
        farthest corner of the box (an outline lies inside its rectangle's corners), enlarged by
        1e-9 relative + 1e-9 px so that float rounding cannot make the far_from bound wrong."""
        corners = self.corners
        reach = np.hypot(corners[..., 0] - self.cx[:, None], corners[..., 1] - self.cy[:, None])
        return np.max(reach, axis=1) * (1 + 1e-9) + 1e-9

    def outline(self, k: int):
        """Entity k's polygon outline, or None for a box."""
        return None if self.outlines is None else self.outlines[k]

    @property
    def polygons(self) -> np.ndarray:
        import shapely  # here: a query does not need it, and it costs start-up time

        polygons = shapely.polygons(self.corners)
        if self.outlines is not None:
            given = np.array([o is not None for o in self.outlines])
            polygons[given] = self.outlines[given]
        return polygons


def _long_side_and_heading(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The longer of the sides (0-1, 1-2) of (n, 4, 2) corners, and its angle in [0, 180)."""
    side1 = corners[:, 1] - corners[:, 0]
    side2 = corners[:, 2] - corners[:, 1]
    len1, len2 = np.hypot(*side1.T), np.hypot(*side2.T)
    long_vec = np.where((len1 >= len2)[:, None], side1, side2)
    heading = np.degrees(np.arctan2(long_vec[:, 1], long_vec[:, 0])) % 180.0
    heading = np.where(heading >= 180.0, 0.0, heading)  # -0.0 % 180 rounding guard
    return np.maximum(len1, len2), heading


def _rectangle_corners(shape) -> list[tuple[float, float]]:
    """The 4 corners of a geometry's minimum rotated rectangle (repeated points for a
    degenerate one: a segment or a point)."""
    import shapely

    rectangle = shapely.minimum_rotated_rectangle(shape)
    points = shapely.get_coordinates(rectangle).tolist()
    if rectangle.geom_type == "Polygon":
        return points[:4]
    return (points + points[::-1] + points)[:4] if len(points) > 1 else points * 4


@dataclass(frozen=True)
class PairRelations:
    """Materialised relations as index pairs (i, j) into one image's boxes.

    near and overlaps are symmetric and hold both (i, j) and (j, i); inside is directed:
    (i, j) means box i is inside box j. far_from holds where `bound_far` says so, and on the
    pairs that bound leaves open and whose polygons are far apart (`far_within_bound`,
    symmetric): a few per cent of all pairs instead of the hundreds of thousands that a
    plain centroid test would need corrected.
    """

    near: np.ndarray
    overlaps: np.ndarray
    inside: np.ndarray
    far_within_bound: np.ndarray


def bound_far(dx, dy, long_a, long_b, radius_a, radius_b, far_factor: float):
    """The sure part of far_from: the centroids are farther apart than far_factor * max L plus
    both radii (Boxes.radius), so the polygons are farther apart than far_factor * max L:
    squared centroid distance > (far_factor * max L + radius_a + radius_b)^2.

    Written with the exact operations that the SPARQL rewriting uses, so both agree bit for bit.
    """
    reach = far_factor * np.maximum(long_a, long_b) + radius_a + radius_b
    return dx * dx + dy * dy > reach * reach


def _pairs(mask: np.ndarray, a: np.ndarray, b: np.ndarray, both_ways: bool) -> np.ndarray:
    pairs = np.stack([a[mask], b[mask]], axis=1).astype(np.int64)
    return np.concatenate([pairs, pairs[:, ::-1]]) if both_ways else pairs


_ABOVE, _BELOW = 1 + 1e-9, 1 - 1e-9  # margins that float rounding in the bounds cannot cross


def _gap(boxes: Boxes, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A lower bound on the polygon distance of each pair (a[k], b[k]): the gap between the two
    projected onto the line through their centroids (every point lies within its corners)."""
    dx, dy = boxes.cx[b] - boxes.cx[a], boxes.cy[b] - boxes.cy[a]
    centre_dist = np.hypot(dx, dy)
    apart = centre_dist > 0
    ux = np.divide(dx, centre_dist, out=np.zeros_like(dx), where=apart)[:, None]
    uy = np.divide(dy, centre_dist, out=np.zeros_like(dy), where=apart)[:, None]
    corners_a, corners_b = boxes.corners[a], boxes.corners[b]
    reach_a = (corners_a[..., 0] - boxes.cx[a, None]) * ux + (
        corners_a[..., 1] - boxes.cy[a, None]
    ) * uy
    reach_b = (boxes.cx[b, None] - corners_b[..., 0]) * ux + (
        boxes.cy[b, None] - corners_b[..., 1]
    ) * uy
    return centre_dist - reach_a.max(axis=1) - reach_b.max(axis=1)


def _span(boxes: Boxes, a: np.ndarray, b: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """An upper bound on the polygon distance of each pair (a[k], b[k]): the closest two corners
    of boxes (an outline's rectangle corners are not its points), or the centroid distance when
    both centroids lie in their polygons (`inside`, per entity)."""
    ax, ay = boxes.corners[a, :, 0], boxes.corners[a, :, 1]
    bx, by = boxes.corners[b, :, 0], boxes.corners[b, :, 1]
    closest = np.full(len(a), np.inf)
    for i in range(4):
        for j in range(4):
            np.minimum(
                closest, (ax[:, i] - bx[:, j]) ** 2 + (ay[:, i] - by[:, j]) ** 2, out=closest
            )
    closest = np.sqrt(closest)
    if boxes.outlines is not None:
        is_outline = np.array([o is not None for o in boxes.outlines])
        closest[is_outline[a] | is_outline[b]] = np.inf
    both_inside = inside[a] & inside[b]
    centre_dist = np.hypot(boxes.cx[b] - boxes.cx[a], boxes.cy[b] - boxes.cy[a])
    return np.where(both_inside, np.minimum(centre_dist, closest), closest)


def pair_relations(boxes: Boxes, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> PairRelations:
    """The sparse relations of one image.

    Candidate pairs are those whose centroids are within far_factor * max L + both radii in
    each axis (an STR-tree of squares around the centroids): every other pair is far for
    sure. Bounds on the polygon distance (_gap below, _span above) settle most of them; GEOS
    measures the distance of the rest, and the intersection of the pairs that touch. Each
    pair is measured once, (a, b) with a < b.
    """
    import shapely

    n = len(boxes)
    if n < 2:
        empty = np.empty((0, 2), dtype=np.int64)
        return PairRelations(empty, empty, empty, empty)
    polys, cx, cy, radius = boxes.polygons, boxes.cx, boxes.cy, boxes.radius
    grow = thresholds.far_factor * boxes.long_side * _ABOVE + radius
    tree = shapely.STRtree(shapely.box(cx - radius, cy - radius, cx + radius, cy + radius))
    qi, ti = tree.query(shapely.box(cx - grow, cy - grow, cx + grow, cy + grow))
    codes = sorted_unique(np.concatenate([qi * n + ti, ti * n + qi]))
    a, b = codes // n, codes % n
    keep = a < b
    a, b = a[keep], b[keep]

    long_a, long_b = boxes.long_side[a], boxes.long_side[b]
    max_long = np.maximum(long_a, long_b)
    near_reach = thresholds.near_factor * max_long
    far_reach = thresholds.far_factor * max_long
    asks_far = ~bound_far(
        cx[a] - cx[b], cy[a] - cy[b], long_a, long_b, radius[a], radius[b], thresholds.far_factor
    )
    lower = _gap(boxes, a, b)
    maybe_near = lower <= near_reach * _ABOVE + 1e-9
    maybe_far_within = asks_far & (lower <= far_reach * _ABOVE + 1e-9)
    upper = np.full(len(a), np.inf)
    ask = maybe_near | maybe_far_within
    upper[ask] = _span(boxes, a[ask], b[ask], shapely.intersects_xy(polys, cx, cy))
    near_settled = ~maybe_near | (upper <= near_reach * _BELOW)
    far_settled = ~maybe_far_within | (upper <= far_reach * _BELOW)
    exact = ~near_settled | (lower <= 1e-9) | (asks_far & ~far_settled)
    dist = np.full(len(a), np.nan)
    dist[exact] = shapely.distance(polys[a[exact]], polys[b[exact]])
    near = np.where(exact, dist <= near_reach, upper <= near_reach * _BELOW)
    far = np.where(exact, dist > far_reach, lower > far_reach * _ABOVE + 1e-9)

    touching = exact & (dist == 0) & (boxes.area[a] > 0) & (boxes.area[b] > 0)
    ta, tb = a[touching], b[touching]
    inter = intersection_areas(polys[ta], polys[tb])
    overlap = inter > 0
    a_inside = overlap & (inter >= thresholds.inside_ratio * boxes.area[ta])
    b_inside = overlap & (inter >= thresholds.inside_ratio * boxes.area[tb])
    return PairRelations(
        near=_pairs(near, a, b, both_ways=True),
        overlaps=_pairs(overlap, ta, tb, both_ways=True),
        inside=np.concatenate([_pairs(a_inside, ta, tb, False), _pairs(b_inside, tb, ta, False)]),
        far_within_bound=_pairs(asks_far & far, a, b, both_ways=True),
    )


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique of a 1-D array by sorting: several times faster than numpy 2's hash-based
    np.unique on millions of integers."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def intersection_areas(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Areas of pairwise polygon intersections; invalid (self-crossing) boxes are repaired first."""
    import shapely

    if len(first) == 0:
        return np.empty(0)
    first = np.where(shapely.is_valid(first), first, shapely.make_valid(first))
    second = np.where(shapely.is_valid(second), second, shapely.make_valid(second))
    return shapely.area(shapely.intersection(first, second))
