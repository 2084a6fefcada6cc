"""Vector layers laid onto georeferenced images (`rune ingest --overlay harbours.geojson=harbor`).

A layer's features live in longitude/latitude; the query language relates the entities of one
image, in its pixels. So that a formula can relate a detected ship to a harbour of a layer, the
layer's features that meet a georeferenced image's footprint become entities of that image:
polygon entities of the class given, confidence 1.0, their outline the feature's part inside the
picture carried into its pixels (the georeference inverted), their CRS84 geometry that part of
the feature, and prov:wasDerivedFrom the feature's IRI (the one `rune load` gives it). They are
measured and related like every other entity of the image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import IngestError
from ..kg import iris
from ..vocab import ONTOLOGY
from .georef import Georeference
from .outlines import bounding_corners
from .records import DotaImage, DotaObject


@dataclass(frozen=True)
class Overlay:
    """One layer's features (CRS84 shapely geometries) and the class they take."""

    layer: str  # the file's stem: its features' IRIs are <data>/feature/<layer>/<k>
    class_name: str
    features: tuple  # (feature number, CRS84 geometry)


def read_overlay(spec: str) -> Overlay:
    """`FILE=CLASS` -> the layer's features in CRS84 (IngestError when unreadable)."""
    from .layers import read_features, to_crs84

    path, sep, class_name = spec.rpartition("=")
    if not sep or class_name not in ONTOLOGY.classes:
        raise IngestError(f"--overlay {spec}: FILE=CLASS is expected, CLASS one of the ontology's")
    crs, features = read_features(Path(path))
    shapes = [shape if crs is None else to_crs84(shape, crs) for shape, _ in features]
    return Overlay(Path(path).stem, class_name, tuple(enumerate(shapes)))


def overlaid(
    image: DotaImage, georef: Georeference, size: tuple[int, int] | None, overlays: tuple
) -> DotaImage:
    """The image with the overlays' features inside its picture added as its entities."""
    import shapely

    if not overlays or size is None:
        return image
    width, height = size
    frame = shapely.box(0, 0, width, height)
    footprint = shapely.Polygon(georef.to_crs84(np.array(frame.exterior.coords[:4])))
    added = []
    for overlay in overlays:
        for k, feature in overlay.features:
            if not feature.intersects(footprint):
                continue
            pixels = _polygonal(shapely.transform(feature, georef.to_pixels).intersection(frame))
            if pixels is None:
                continue
            source = iris.feature_iri(overlay.layer, k).value
            added.append(
                DotaObject(
                    overlay.class_name,
                    bounding_corners(pixels),
                    outline=pixels,
                    world=feature.intersection(footprint),
                    derived_from=source,
                )
            )
    return replace(image, objects=image.objects + tuple(added)) if added else image


def _polygonal(geometry):
    """The polygons of a geometry (an intersection may add lines and points), or None."""
    import shapely

    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
