"""geof: functions on GML, EPSG:4326 and empty literals, geof:buffer / geof:boundary, and RDFS
entailment (`rune geo materialise --rdfs`), on a real pyoxigraph store."""

from __future__ import annotations

import math

import pyoxigraph as ox

from rune_kg.cli import main
from rune_kg.kg import Store

CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
GML = '<gml:Polygon xmlns:gml="http://www.opengis.net/gml/3.2" srsName="{crs}"><gml:exterior><gml:LinearRing><gml:posList>{coords}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>'  # noqa: E501


def _value(store: Store, expression: str, **terms):
    row = next(iter(store.query(f"SELECT ({expression.format(**terms)} AS ?r) WHERE {{}}")))
    return row["r"]


def _literal(text: str, kind: str = "wktLiteral") -> str:
    return str(
        ox.Literal(text, datatype=ox.NamedNode(f"http://www.opengis.net/ont/geosparql#{kind}"))
    )


def test_gml_and_latitude_first_literals_meet_wkt():
    store = Store()
    wkt = _literal(f"{CRS84} POLYGON((2 48, 3 48, 3 49, 2 49, 2 48))")
    gml = _literal(
        GML.format(
            crs="http://www.opengis.net/def/crs/OGC/1.3/CRS84", coords="2 48 3 48 3 49 2 49 2 48"
        ),
        "gmlLiteral",
    )
    latitude_first = _literal("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(48.5 2.5)")
    assert _value(store, "geof:sfEquals({a}, {b})", a=wkt, b=gml).value == "true"
    assert _value(store, "geof:sfWithin({a}, {b})", a=latitude_first, b=gml).value == "true"
    assert _value(store, "geof:sfEquals({a}, {a})", a=_literal("")).value == "true"  # empty


def test_distance_between_polygons_is_between_their_nearest_points():
    """Oxigraph's geodesic distance, between the nearest points: two squares one degree of
    longitude apart on the equator are 111.3 km apart."""
    store = Store()
    a = _literal("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))")
    b = _literal("POLYGON((2 0, 3 0, 3 1, 2 1, 2 0))")
    metres = float(_value(store, "geof:distance({a}, {b}, uom:metre)", a=a, b=b).value)
    assert abs(metres - 111_319.5) < 0.005 * 111_319.5


def test_buffer_in_metres_and_boundary():
    store = Store()
    centre = _literal("POINT(4.4 51.9)")
    buffered = _value(store, "geof:buffer({c}, 100, uom:metre)", c=centre)
    ring = _value(store, "geof:boundary({b})", b=str(buffered))
    assert ring.value.split(">", 1)[1].strip().startswith("LINESTRING")
    # every vertex of the buffer is 100 m from the centre, by Oxigraph's geodesic distance
    import shapely

    polygon = shapely.from_wkt(buffered.value.split(">", 1)[1])
    for x, y in list(polygon.exterior.coords)[::8]:
        metres = float(
            _value(
                store, "geof:distance({c}, {p}, uom:metre)", c=centre, p=_literal(f"POINT({x} {y})")
            ).value
        )
        assert math.isclose(metres, 100, rel_tol=0.01)


def test_rdfs_entailment_is_written_in_the_graph_of_its_premise(tmp_path):
    store = Store(tmp_path / "db")
    store.update(
        """PREFIX my: <http://example.org/my#>
        INSERT DATA {
          GRAPH <http://example.org/schema> {
            my:Port rdfs:subClassOf my:Place .
            my:hasShape rdfs:subPropertyOf geo:hasDefaultGeometry }
          GRAPH <http://example.org/data> { my:rotterdam a my:Port ; my:hasShape my:shape } }"""
    )
    store.flush()
    del store
    assert main(["geo", "materialise", "--rdfs", "--store", str(tmp_path / "db")]) == 0
    store = Store(tmp_path / "db")
    data = "http://example.org/data"
    found = {
        (
            row["s"].value.rsplit("#")[-1],
            row["p"].value.rsplit("#")[-1],
            row["o"].value.rsplit("#")[-1],
        )
        for row in store.query(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{data}> {{ ?s ?p ?o }} }}", union=False
        )
    }
    assert {
        ("rotterdam", "type", "Place"),
        ("rotterdam", "hasDefaultGeometry", "shape"),
        ("rotterdam", "hasGeometry", "shape"),
        ("rotterdam", "type", "Feature"),
        ("rotterdam", "type", "SpatialObject"),
        ("shape", "type", "Geometry"),
    } <= found
