"""Polygon outlines as the readers of masks and label files hand them in: parsed, checked, and
their bounding boxes (what a polygon entity's `corners` hold)."""

from __future__ import annotations

from ..errors import LabelFormatError


def checked_outline(wkt_or_geometry, path, where: str):
    """A shapely Polygon or MultiPolygon in pixels; LabelFormatError naming `where` (the
    feature) for text that is not WKT, a ring that does not close, or one that crosses
    itself."""
    import shapely

    geometry = wkt_or_geometry
    if isinstance(geometry, str):
        try:
            geometry = shapely.from_wkt(geometry)
        except shapely.errors.GEOSException as err:
            reason = "its ring does not close" if "closed" in str(err) else f"not WKT ({err})"
            raise LabelFormatError(path, where, reason) from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise LabelFormatError(path, where, f"a polygon is expected, got {geometry.geom_type}")
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise LabelFormatError(path, where, f"the polygon crosses itself ({reason})")
    return geometry


def bounding_corners(geometry) -> tuple[float, ...]:
    """x1 y1 ... x4 y4 of the geometry's axis-aligned bounding box."""
    x0, y0, x1, y1 = geometry.bounds
    return (x0, y0, x1, y0, x1, y1, x0, y1)
