"""Entity geometry and the spatial relations of the query language (docs/query-language.md),
vectorised with numpy and shapely.

Everything works on one image's entities at a time, in pixel coordinates (x right, y down). An
entity is an oriented box (4 corners) or a polygon outline (a mask's, an xBD label's; holes
and several parts allowed): for an outline, the centroid is its area centroid and the long
side and heading are those of its minimum rotated rectangle, whose corners stand in `corners`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    (i, j) means box i is inside box j. far_from is decided at query time by `centroids_far`,
    corrected by the two exception lists (both symmetric): pairs the centroids call far that
    are not (`not_far_despite_centroids`), and the reverse (`far_despite_centroids`, possible
    only for boxes whose centroid lies outside their polygon).
    """

    near: np.ndarray
    overlaps: np.ndarray
    inside: np.ndarray
    not_far_despite_centroids: np.ndarray
    far_despite_centroids: np.ndarray


def centroids_far(dx, dy, long_a, long_b, far_factor: float):
    """The centroid test for far_from: squared centroid distance > (far_factor * max L)^2.

    Written with the exact operations that the SPARQL rewriting uses, so both agree bit for bit.
    """
    reach = far_factor * np.maximum(long_a, long_b)
    return dx * dx + dy * dy > reach * reach


def _pairs(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([a[mask], b[mask]], axis=1).astype(np.int64)


def pair_relations(boxes: Boxes, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> PairRelations:
    """The sparse relations of one image.

    Candidate pairs come from an STR-tree of box envelopes grown by far_factor * L; cheap
    centroid bounds (dist <= centroid distance when both centroids lie in their boxes, and
    dist >= centroid distance - both circumradii) leave exact polygon distances and
    intersection areas only for the pairs whose answer they do not settle.
    """
    import shapely

    n = len(boxes)
    if n < 2:
        empty = np.empty((0, 2), dtype=np.int64)
        return PairRelations(empty, empty, empty, empty, empty)
    polys = boxes.polygons
    reach = thresholds.far_factor * boxes.long_side * (1 + 1e-9) + 1e-9
    bounds = shapely.bounds(polys)
    grown = shapely.box(
        bounds[:, 0] - reach, bounds[:, 1] - reach, bounds[:, 2] + reach, bounds[:, 3] + reach
    )
    qi, ti = shapely.STRtree(polys).query(grown)
    both = sorted_unique(np.concatenate([qi * n + ti, ti * n + qi]))
    a, b = both // n, both % n
    keep = a != b
    a, b = a[keep], b[keep]

    dx, dy = boxes.cx[a] - boxes.cx[b], boxes.cy[a] - boxes.cy[b]
    centre_dist = np.hypot(dx, dy)
    max_long = np.maximum(boxes.long_side[a], boxes.long_side[b])
    radius = np.max(
        np.hypot(
            boxes.corners[..., 0] - boxes.cx[:, None], boxes.corners[..., 1] - boxes.cy[:, None]
        ),
        axis=1,
    )
    lower = centre_dist - radius[a] - radius[b]
    centre_inside = shapely.intersects_xy(polys, boxes.cx, boxes.cy)
    far_by_centroids = centroids_far(
        dx, dy, boxes.long_side[a], boxes.long_side[b], thresholds.far_factor
    )
    far_reach = thresholds.far_factor * max_long
    exact = (
        (lower <= thresholds.near_factor * max_long)
        | (far_by_centroids & (lower <= far_reach))
        | (~far_by_centroids & ~(centre_inside[a] & centre_inside[b]))
    )
    a, b, far_by_centroids = a[exact], b[exact], far_by_centroids[exact]
    max_long, far_reach = max_long[exact], far_reach[exact]
    dist = shapely.distance(polys[a], polys[b])

    touching = (dist == 0) & (boxes.area[a] > 0) & (boxes.area[b] > 0)
    ta, tb = a[touching], b[touching]
    inter = intersection_areas(polys[ta], polys[tb])
    overlap = inter > 0
    return PairRelations(
        near=_pairs(dist <= thresholds.near_factor * max_long, a, b),
        overlaps=_pairs(overlap, ta, tb),
        inside=_pairs(overlap & (inter >= thresholds.inside_ratio * boxes.area[ta]), ta, tb),
        not_far_despite_centroids=_pairs(far_by_centroids & (dist <= far_reach), a, b),
        far_despite_centroids=_pairs(~far_by_centroids & (dist > far_reach), a, b),
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
