"""Where an image lies on Earth: a GeoTIFF's georeference (or a world file's), read with
rasterio, or a row of a `--georef` table; and its pixels in longitude/latitude (CRS84).

A GeoTIFF carries an affine transform from pixel (column, row) to map coordinates in its CRS;
rasterio (GDAL, PROJ) reads both and reprojects map coordinates to CRS84. Ingest then gives
the image a footprint and each entity a second geometry in CRS84 (rdf.py); the pixel geometry
stays the one the query language reads.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IngestError, LabelFormatError

TABLE_COLUMNS = ("image", "crs", "x", "y", "gsd")


@dataclass(frozen=True)
class Georeference:
    transform: tuple[float, float, float, float, float, float]  # a, b, c, d, e, f (GDAL affine)
    crs: str  # as rasterio writes it, e.g. "EPSG:32616"
    metres_per_pixel: float | None  # when the CRS is projected in metres

    def to_crs84(self, pixels: np.ndarray) -> np.ndarray:
        """(N, 2) pixel (column, row) -> (N, 2) longitude, latitude."""
        from rasterio.warp import transform

        a, b, c, d, e, f = self.transform
        cols, rows = pixels[:, 0], pixels[:, 1]
        xs, ys = a * cols + b * rows + c, d * cols + e * rows + f
        lon, lat = transform(self.crs, "OGC:CRS84", xs.tolist(), ys.tolist())
        return np.column_stack([lon, lat])

    def to_pixels(self, lonlat: np.ndarray) -> np.ndarray:
        """(N, 2) longitude, latitude -> (N, 2) pixel (column, row): to_crs84's inverse."""
        from rasterio.warp import transform

        xs, ys = transform("OGC:CRS84", self.crs, lonlat[:, 0].tolist(), lonlat[:, 1].tolist())
        a, b, c, d, e, f = self.transform
        inverse = np.linalg.inv(np.array([[a, b], [d, e]]))
        return (np.column_stack([xs, ys]) - [c, f]) @ inverse.T


def read_georeference(path: Path) -> Georeference | None:
    """The picture's georeference: a GeoTIFF's own, or a world file's with the CRS of a .prj
    (or .aux.xml) file beside it; None when it has no geotransform. LabelFormatError for a
    geotransform without a CRS, or a CRS that PROJ does not know: the image is not placed
    half-way (it is skipped, and named)."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import CRSError, RasterioIOError

    try:
        with rasterio.open(path) as dataset:
            t, crs = dataset.transform, dataset.crs
    except (RasterioIOError, CRSError, OSError):
        return None
    if t.is_identity:
        return None
    prj = path.with_suffix(".prj")
    if crs is None and prj.is_file():
        try:
            crs = CRS.from_wkt(prj.read_text())
        except (CRSError, OSError, UnicodeDecodeError) as err:
            raise LabelFormatError(prj, None, f"a CRS PROJ does not know: {err}") from None
    if crs is None:
        raise LabelFormatError(
            path, None, "a geotransform without a CRS: add a .prj file or place it with --georef"
        )
    units = crs.linear_units if crs.is_projected else None
    metres = abs(t.a) if units in ("metre", "meter") and t.b == t.d == 0 else None
    return Georeference((t.a, t.b, t.c, t.d, t.e, t.f), crs.to_string(), metres)


def read_georef_table(path: Path) -> dict[str, Georeference]:
    """image id -> Georeference, from a CSV with the header `image,crs,x,y,gsd`: the CRS (any
    that PROJ knows: EPSG:32616, OGC:CRS84, a WKT ...), the map coordinates of the picture's
    upper-left corner and the pixel size in CRS units, north up. IngestError naming the file
    and line for a missing column, a number that is not one, or a CRS that PROJ does not know;
    nothing is ingested then."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        with path.open(newline="") as lines:
            rows = list(csv.DictReader(lines))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError) as err:
        raise IngestError(f"--georef {path}: {err}") from None
    missing = [c for c in TABLE_COLUMNS if c not in header]
    if missing:
        raise IngestError(
            f"--georef {path}: no column {', '.join(missing)} (header: image,crs,x,y,gsd)"
        )
    table, known = {}, {}
    for line, row in enumerate(rows, start=2):
        where = f"--georef {path}, line {line} ({row['image']})"
        try:
            x, y, gsd = float(row["x"]), float(row["y"]), float(row["gsd"])
        except (TypeError, ValueError):
            raise IngestError(f"{where}: x, y and gsd must be numbers") from None
        if not gsd > 0:
            raise IngestError(f"{where}: gsd must be positive")
        if row["crs"] not in known:
            try:
                known[row["crs"]] = CRS.from_user_input(row["crs"])
            except CRSError as err:
                raise IngestError(f"{where}: unknown CRS {row['crs']!r} ({err})") from None
        crs = known[row["crs"]]
        units = crs.linear_units if crs.is_projected else None
        table[row["image"]] = Georeference(
            (gsd, 0.0, x, 0.0, -gsd, y),
            crs.to_string(),
            gsd if units in ("metre", "meter") else None,
        )
    return table
