"""Vector layers as linked data: a GeoJSON, GeoPackage or Shapefile layer's features as RDF
(`rune load layer.geojson`).

Each feature becomes a geo:Feature of its own IRI (<data>/feature/<layer>/<k>), of the rune
class given (`--class plane`) when there is one. Its default geometry and its centroid
(geo:hasCentroid: Oxigraph's geof:distance measures between points) are geo:Geometry nodes
with WKT literals in CRS84, GeoJSON's longitude/latitude. A layer in another CRS (a legacy
GeoJSON `crs` member: urn:ogc:def:crs:EPSG::32616; a GeoPackage's or Shapefile's own) is
reprojected to CRS84 by rasterio (GDAL, PROJ), and its geometry as written is kept as a second
geo:hasGeometry, in that CRS (when it has an EPSG code to name it by).
Its attributes are kept as properties <data>/property/<key>, with typed literals; empty ones
(null or "") are left out. Oxigraph's geof: functions then apply (relations; distances in
metres between centroids), and `rune geo materialise` relates the features.
GeoJSON is read here; GeoPackage and Shapefile (and any other format GDAL reads) by pyogrio.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import shapely.geometry

from ..errors import IngestError
from ..kg import iris
from ..vocab import CRS84, GEO, ONTOLOGY, RDF_TYPE, RDFS_LABEL

_EPSG = re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$")
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _crs(document: dict, path: Path) -> str | None:
    """The layer's CRS as rasterio names it ("EPSG:32616"); None for CRS84."""
    name = ((document.get("crs") or {}).get("properties") or {}).get("name")
    if name in (None, "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84"):
        return None
    epsg = _EPSG.match(name)
    if epsg is None:
        raise IngestError(f"{path}: unknown CRS {name!r} (CRS84 or urn:ogc:def:crs:EPSG::N)")
    return f"EPSG:{epsg.group(1)}"


def to_crs84(shape, crs: str):
    from rasterio.warp import transform_geom  # GDAL/PROJ: only for layers in another CRS

    return shapely.geometry.shape(transform_geom(crs, "OGC:CRS84", shapely.geometry.mapping(shape)))


def _literal(value) -> ox.Literal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return ox.Literal(str(value).lower(), datatype=ox.NamedNode(_XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(_XSD + "integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(_XSD + "double"))
    return ox.Literal(value if isinstance(value, str) else json.dumps(value))


def _wkt(crs: ox.NamedNode, wkt: str) -> ox.Literal:
    return ox.Literal(f"{crs} {wkt}", datatype=ox.NamedNode(GEO + "wktLiteral"))


def read_features(path: Path, layer: str | None = None) -> tuple[str | None, list]:
    """(the layer's CRS as PROJ names it, None for CRS84; [(shapely geometry, attributes)]),
    IngestError when unreadable or a feature has no readable geometry."""
    if path.suffix.lower() == ".geojson":
        if layer is not None:
            raise IngestError("--layer is for GeoPackage and other multi-layer files")
        return _geojson_features(path)
    return _ogr_features(path, layer)


def _geojson_features(path: Path) -> tuple[str | None, list]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise IngestError(f"{path}: not a GeoJSON file: {err}") from None
    if document.get("type") != "FeatureCollection":
        raise IngestError(f"{path}: a GeoJSON FeatureCollection is expected")
    features = []
    for k, feature in enumerate(document.get("features", [])):
        try:
            shape = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise IngestError(f"{path}: feature {k} has no readable geometry: {err}") from None
        features.append((shape, feature.get("properties") or {}))
    return _crs(document, path), features


def _ogr_features(path: Path, layer: str | None) -> tuple[str | None, list]:
    import pyogrio.raw
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        meta, _, geometries, columns = pyogrio.raw.read(path, layer=layer)
    except (DataSourceError, DataLayerError, OSError) as err:
        layers = _layers(path) if isinstance(err, DataLayerError) else ""
        raise IngestError(f"{path}: cannot read it as a vector layer: {err}{layers}") from None
    names = list(meta["fields"])
    features = []
    for k, wkb in enumerate(geometries):
        if wkb is None:
            raise IngestError(f"{path}: feature {k} has no geometry")
        values = {name: _plain(column[k]) for name, column in zip(names, columns)}
        features.append((shapely.from_wkb(wkb), values))
    crs = meta["crs"]
    return (None if crs in (None, "EPSG:4326", "OGC:CRS84") else crs), features


def _layers(path: Path) -> str:
    import pyogrio

    return f" (its layers: {', '.join(name for name, _ in pyogrio.list_layers(path))})"


def _plain(value):
    """A numpy value as the Python value it holds (NaN: None)."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


def _epsg_iri(crs: str) -> ox.NamedNode | None:
    from rasterio.crs import CRS

    code = CRS.from_user_input(crs).to_epsg()
    return ox.NamedNode(f"http://www.opengis.net/def/crs/EPSG/0/{code}") if code else None


def layer_triples(
    path: Path, class_name: str | None = None, layer: str | None = None, label: str | None = None
) -> list[ox.Triple]:
    """The triples of a layer's features (IngestError when unreadable: nothing then); the
    attribute `label` names each feature (rdfs:label), as a gazetteer's places are named."""
    if class_name is not None and class_name not in ONTOLOGY.classes:
        raise IngestError(f"--class {class_name}: not a class ({', '.join(ONTOLOGY.classes)})")
    source_crs, features = read_features(path, layer)
    if label is not None and features and all(label not in a for _, a in features):
        raise IngestError(f"--label {label}: no feature of {path} has that attribute")
    crs84 = ox.NamedNode(CRS84)
    source_iri = _epsg_iri(source_crs) if source_crs is not None else None
    triples = []
    for k, (shape, attributes) in enumerate(features):
        node = iris.feature_iri(path.stem, k)
        geometry = ox.NamedNode(node.value + "/geometry")
        if source_crs is not None:  # kept as a second geometry; the default one is CRS84
            if source_iri is not None:
                source = ox.NamedNode(node.value + "/source-geometry")
                triples += [
                    ox.Triple(node, ox.NamedNode(GEO + "hasGeometry"), source),
                    ox.Triple(source, RDF_TYPE, ox.NamedNode(GEO + "Geometry")),
                    ox.Triple(source, ox.NamedNode(GEO + "asWKT"), _wkt(source_iri, shape.wkt)),
                ]
            shape = to_crs84(shape, source_crs)
        _check_range(shape, path, k)
        centroid = ox.NamedNode(node.value + "/centroid")
        triples += [
            ox.Triple(node, RDF_TYPE, ox.NamedNode(GEO + "Feature")),
            ox.Triple(node, ox.NamedNode(GEO + "hasGeometry"), geometry),
            ox.Triple(node, ox.NamedNode(GEO + "hasDefaultGeometry"), geometry),
            ox.Triple(geometry, RDF_TYPE, ox.NamedNode(GEO + "Geometry")),
            ox.Triple(geometry, ox.NamedNode(GEO + "asWKT"), _wkt(crs84, shape.wkt)),
            ox.Triple(node, ox.NamedNode(GEO + "hasCentroid"), centroid),
            ox.Triple(centroid, RDF_TYPE, ox.NamedNode(GEO + "Geometry")),
            ox.Triple(centroid, ox.NamedNode(GEO + "asWKT"), _wkt(crs84, shape.centroid.wkt)),
        ]
        if class_name is not None:
            triples.append(ox.Triple(node, RDF_TYPE, ONTOLOGY.classes[class_name].iri))
        for key, value in attributes.items():
            literal = _literal(value)
            if literal is not None:
                triples.append(ox.Triple(node, iris.layer_property(key), literal))
                if key == label:
                    triples.append(ox.Triple(node, RDFS_LABEL, ox.Literal(str(value))))
    return triples


def _check_range(shape, path: Path, k: int) -> None:
    """Longitudes in [-180, 180], latitudes in [-90, 90] (a layer in a projected CRS that does
    not say so fails here)."""
    if shape.is_empty:
        return
    west, south, east, north = shape.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise IngestError(
            f"{path}: feature {k}: coordinates out of longitude/latitude range "
            f"({west:g} {south:g}, {east:g} {north:g}); is its CRS declared?"
        )
