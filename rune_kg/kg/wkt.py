"""Entity geometry as GeoSPARQL WKT literals in image pixels, and back."""

from __future__ import annotations

import numpy as np

from ..vocab import RUNE


def polygon_wkt(corners: np.ndarray, crs: str | None = None) -> str:
    """GeoSPARQL WKT of a polygon's corners, closed (exact float text), in `crs` (default: image
    pixels)."""
    corners = corners.reshape(-1, 2)
    points = [*corners.tolist(), corners[0].tolist()]
    return (
        f"<{crs or RUNE.ImagePixelCRS.value}> POLYGON(("
        + ", ".join(f"{x!r} {y!r}" for x, y in points)
        + "))"
    )


def polygon_corners(wkt: str) -> list[tuple[float, float]]:
    """The 4 corners of a box from the WKT `polygon_wkt` wrote (its inverse, exact floats)."""
    points = wkt[wkt.index("((") + 2 : wkt.rindex("))")].split(",")
    return [(float(x), float(y)) for x, y in (point.split() for point in points[:4])]


def pixel_geometry(wkt: str):
    """The shapely geometry of a WKT literal in image pixels (any polygon or multipolygon)."""
    import shapely

    return shapely.from_wkt(wkt[wkt.index(">") + 1 :] if wkt.startswith("<") else wkt)


def outline_rings(wkt: str) -> list[list[tuple[float, float]]]:
    """The rings to draw of a pixel WKT: a box's 4 corners, or every ring of every part of a
    polygon outline (holes included)."""
    import shapely

    geometry = pixel_geometry(wkt)
    rings = []
    for part in shapely.get_parts(geometry):
        if part.geom_type == "Polygon":
            rings += [list(part.exterior.coords)] + [list(r.coords) for r in part.interiors]
        else:
            rings.append(list(part.coords))
    return rings
