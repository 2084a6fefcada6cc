"""GeoSPARQL functions on every geometry literal GeoSPARQL allows: Oxigraph's own, widened.

pyoxigraph evaluates the `geof:` functions on WKT literals in CRS84 (or without a CRS, which
means CRS84). GeoSPARQL also allows GML literals, WKT in EPSG:4326 (latitude first) and the
empty literal (an empty geometry). For each `geof:` function a query names, `functions_for`
gives a custom function under the same IRI: its geometry arguments are rewritten as CRS84 WKT
(GML read here, EPSG:4326 axes swapped) and the call is handed back to Oxigraph's own function
on an empty in-memory store, so every result is still Oxigraph's. A CRS84 WKT argument goes
through as it is; the detour costs about 70 us a call. geof:buffer and geof:boundary, which
Oxigraph lacks, are computed with shapely: a buffer in metres around CRS84 geometries is drawn
in a local azimuthal equidistant projection (PROJ through rasterio).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import pyoxigraph as ox

from ..vocab import CRS84, GEO, PREFIXES

GEOF = PREFIXES["geof"]
WKT_LITERAL = ox.NamedNode(GEO + "wktLiteral")
GML_LITERAL = ox.NamedNode(GEO + "gmlLiteral")
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
UOM = PREFIXES["uom"]
# Oxigraph's geof: functions (pyoxigraph 0.5), by GeoSPARQL 1.0/1.1 name.
DELEGATED = (
    "distance convexHull intersection union difference symDifference envelope getSRID relate "
    "sfEquals sfDisjoint sfIntersects sfTouches sfCrosses sfWithin sfContains sfOverlaps "
    "ehEquals ehDisjoint ehMeet ehOverlap ehCovers ehCoveredBy ehInside ehContains "
    "rcc8eq rcc8dc rcc8ec rcc8po rcc8tppi rcc8tpp rcc8ntpp rcc8ntppi "
    "area length dimension isEmpty isSimple"
).split()
_NAMESPACE_TAIL = "function/geosparql"  # of GEOF, however the query spells its prefix
_CRS84_TAG = f"<{CRS84}>"
_ENGINE = ox.Store()  # empty: it only evaluates function calls


def functions_for(sparql: str) -> dict[ox.NamedNode, Callable]:
    """Custom functions for the `geof:` functions whose names `sparql` mentions (a cheap test
    on the text: registering one the query does not call changes nothing). A query that names
    neither the predeclared `geof:` prefix nor the namespace calls none: its text is not
    scanned (updates of thousands of triples go through here)."""
    if "geof:" not in sparql and _NAMESPACE_TAIL not in sparql:
        return {}
    names = set(re.findall(r"[A-Za-z0-9]+", sparql))
    found = {name: _delegate(name) for name in DELEGATED if name in names}
    found.update({name: EXTRA[name] for name in EXTRA if name in names})
    return {ox.NamedNode(GEOF + name): function for name, function in found.items()}


@functools.cache
def _delegate(name: str) -> Callable:
    def call(*args):
        args = [_as_crs84_wkt(term) for term in args]
        if name == "distance" and len(args) == 3:
            args[:2] = _nearest_points(*args[:2])
        terms = ", ".join(str(term) for term in args)  # escaped by pyoxigraph
        row = next(iter(_ENGINE.query(f"SELECT (<{GEOF}{name}>({terms}) AS ?r) {{}}")))
        return row["r"]

    return call


def _as_crs84_wkt(term):
    """A geometry literal as CRS84 WKT where it can be one; any other term as it is."""
    if not isinstance(term, ox.Literal) or term.datatype not in (WKT_LITERAL, GML_LITERAL):
        return term
    try:
        return crs84_wkt(term) or term
    except ValueError:
        return term  # Oxigraph says what it makes of it


def crs84_wkt(term: ox.Literal) -> ox.Literal | None:
    """A WKT or GML literal as a CRS84 WKT literal that Oxigraph reads (the term itself when it
    is one already); None in another CRS; ValueError if it does not parse."""
    text = term.value  # Oxigraph reads no white space before the CRS, nor an empty literal
    if term.datatype == WKT_LITERAL and text[:1] not in ("", " ", "\n", "\t", "\r"):
        if text[0] != "<" or text.startswith(_CRS84_TAG):
            return term
    stripped = text.lstrip()
    if term.datatype == WKT_LITERAL and stripped[:1] == "<":
        if not stripped.startswith((_CRS84_TAG, f"<{EPSG4326}>")):
            return None  # without parsing it: image pixels, say
    crs, geometry = literal_geometry(term)
    return _result(CRS84, geometry) if crs == CRS84 else None


def _nearest_points(a, b) -> list:
    """Oxigraph measures geodesic distances between points only: between other CRS84
    geometries, the distance is measured between their nearest points (found in a local
    azimuthal equidistant projection)."""
    import shapely
    import shapely.ops

    if not all(isinstance(t, ox.Literal) and t.datatype == WKT_LITERAL for t in (a, b)):
        return [a, b]
    (crs_a, geometry_a), (crs_b, geometry_b) = literal_geometry(a), literal_geometry(b)
    if crs_a != CRS84 or crs_b != CRS84 or geometry_a.geom_type == geometry_b.geom_type == "Point":
        return [a, b]
    if geometry_a.is_empty or geometry_b.is_empty:
        return [a, b]
    local = _local_projection(shapely.union(geometry_a, geometry_b).centroid)
    near = shapely.ops.nearest_points(_project(geometry_a, local), _project(geometry_b, local))
    return [_result(CRS84, _project(point, local, back=True)) for point in near]


def _local_projection(centre) -> str:
    return f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"


def _project(geometry, local: str, back: bool = False):
    """A CRS84 geometry in the local projection (or back)."""
    import shapely.geometry
    from rasterio.warp import transform_geom

    source, target = (local, "OGC:CRS84") if back else ("OGC:CRS84", local)
    return shapely.geometry.shape(
        transform_geom(source, target, shapely.geometry.mapping(geometry))
    )


def literal_geometry(term: ox.Literal):
    """(CRS IRI, shapely geometry) of a WKT or GML literal, EPSG:4326 read as CRS84 (its axes
    swapped); ValueError if it is neither or does not parse."""
    import shapely

    text = term.value.strip()
    if term.datatype == GML_LITERAL:
        crs, geometry = _gml(text)
    else:
        crs = CRS84
        if text.startswith("<"):
            crs, text = text[1 : text.index(">")], text[text.index(">") + 1 :].strip()
        try:
            geometry = shapely.from_wkt(text or "GEOMETRYCOLLECTION EMPTY")
        except shapely.errors.GEOSException as err:
            raise ValueError(f"not WKT: {text[:80]}") from err
    if crs == EPSG4326:  # latitude first: swapped, it is a CRS84 geometry
        crs, geometry = CRS84, shapely.transform(geometry, lambda xy: xy[:, ::-1])
    return crs, geometry


def _gml(text: str):
    """(CRS IRI, shapely geometry) of a GML 3 geometry: Point, LineString, LinearRing, Polygon
    (with holes), Envelope, and their Multi- forms; coordinates as written."""
    import xml.etree.ElementTree as ET  # here: only GML needs it, and a query starts faster

    import shapely

    if not text:
        return CRS84, shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise ValueError(f"not GML: {err}") from err
    crs = next((e.get("srsName") for e in root.iter() if e.get("srsName")), CRS84)
    return crs, _gml_geometry(root)


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _coordinates(element) -> list[tuple[float, ...]]:
    """The positions under `element`: posList, pos, or the old `coordinates` form."""
    points = []
    for child in element.iter():
        name, text = _local(child), (child.text or "").strip()
        if name in ("posList", "pos", "lowerCorner", "upperCorner") and text:
            values = [float(v) for v in text.split()]
            dimension = int(child.get("srsDimension", element.get("srsDimension", 2)))
            points += [tuple(values[i : i + dimension]) for i in range(0, len(values), dimension)]
        elif name == "coordinates" and text:
            points += [tuple(float(v) for v in pair.split(",")) for pair in text.split()]
    return points


def _gml_geometry(element):
    import shapely

    name = _local(element)
    if name == "Point":
        points = _coordinates(element)
        return shapely.Point(points[0]) if points else shapely.Point()
    if name in ("LineString", "LinearRing", "Curve"):
        points = _coordinates(element)
        return shapely.LineString(points) if points else shapely.LineString()
    if name in ("Polygon", "Surface"):
        rings = {"exterior": [], "interior": []}
        for child in element.iter():
            kind = {"outerBoundaryIs": "exterior", "innerBoundaryIs": "interior"}.get(
                _local(child), _local(child)
            )
            if kind in rings:
                rings[kind].append(_coordinates(child))
        if not rings["exterior"] or not rings["exterior"][0]:
            return shapely.Polygon()
        return shapely.Polygon(rings["exterior"][0], rings["interior"])
    if name == "Envelope":
        (x0, y0), (x1, y1) = _coordinates(element)[:2]
        return shapely.box(x0, y0, x1, y1)
    if name.startswith("Multi"):
        members = [_gml_geometry(part) for member in element for part in member]
        kind = {"Point": shapely.MultiPoint, "LineString": shapely.MultiLineString}
        for geometry_type, make in kind.items():
            if all(m.geom_type == geometry_type for m in members):
                return make(members)
        if all(m.geom_type == "Polygon" for m in members):
            return shapely.MultiPolygon(members)
        return shapely.GeometryCollection(members)
    raise ValueError(f"GML {name} is not read (Point, LineString, Polygon, Envelope, Multi-)")


def _result(crs: str, geometry) -> ox.Literal:
    return ox.Literal(f"<{crs}> {geometry.wkt}", datatype=WKT_LITERAL)


def _boundary(geometry_term):
    crs, geometry = literal_geometry(geometry_term)
    return _result(crs, geometry.boundary)


def _buffer(geometry_term, radius, unit):
    """geof:buffer(geometry, radius, unit): metres around CRS84 geometries (drawn in a local
    azimuthal equidistant projection), or the CRS's own unit (uom:degree / uom:unity)."""
    crs, geometry = literal_geometry(geometry_term)
    distance = float(radius.value)
    unit = unit.value if isinstance(unit, ox.NamedNode) else str(unit)
    if unit == UOM + "metre" and crs == CRS84:
        local = _local_projection(geometry.centroid)
        return _result(crs, _project(_project(geometry, local).buffer(distance), local, back=True))
    if unit in (UOM + "degree", UOM + "unity"):
        return _result(crs, geometry.buffer(distance))
    raise ValueError(f"geof:buffer: unit {unit} in {crs} is not supported")


EXTRA = {"boundary": _boundary, "buffer": _buffer}
