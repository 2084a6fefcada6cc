"""RDF for one image: the image, its entities (class, box, derived geometry, confidence,
provenance) and the materialised spatial relations, as N-Triples text of its named graph.

Text rather than Python quad objects: at DOTA scale (millions of triples) building objects one
by one costs more than Oxigraph's own parser. Every term that carries outside text (file
paths, header values) is rendered by pyoxigraph; the rest are IRIs built from checked ids and
numbers.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pyoxigraph as ox

from ..kg import iris
from ..kg.geometry import Boxes, PairRelations
from ..kg.wkt import polygon_wkt
from ..vocab import CRS84, GEO, ONTOLOGY, PROV, RDF_TYPE, RDFS_LABEL, RUNE, XSD, materialised
from .georef import Georeference
from .records import DotaImage, DotaObject, EventImage, Picture, RunInfo

_DOUBLE = f"^^<{XSD}double>"
_INTEGER = f"^^<{XSD}integer>"


def _literal(value: str | float | int | datetime) -> ox.Literal:
    if isinstance(value, datetime):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(XSD + "double"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(value)


def run_ntriples(run: RunInfo) -> str:
    node = iris.run_iri(run.source)
    facts = [
        (RDF_TYPE, RUNE.DetectionRun),
        (RUNE.sourceName, _literal(run.source)),
        (RUNE.detector, _literal(run.detector)),
        (ox.NamedNode(PROV + "startedAtTime"), _literal(run.started)),
        *([(ox.NamedNode(PROV + "endedAtTime"), _literal(run.ended))] if run.ended else []),
        *((getattr(RUNE, local), _literal(value)) for local, value in run.extra),
    ]
    triples = [(node, p, o) for p, o in facts]
    for k, (model_class, class_name) in enumerate(run.class_map):
        mapping = ox.NamedNode(f"{node.value}/class-mapping/{k}")
        triples += [
            (node, RUNE.classMapping, mapping),
            (mapping, RDF_TYPE, RUNE.ClassMapping),
            (mapping, RUNE.modelClassName, _literal(model_class)),
            (mapping, RUNE.mappedClass, ONTOLOGY.classes[class_name].iri),
        ]
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


class _Terms:
    """The entity triples' fixed terms, as N-Triples text."""

    a, entity = str(RDF_TYPE), str(RUNE.Entity)
    class_name, in_image, generated = (
        str(RUNE.className),
        str(RUNE.inImage),
        f"<{PROV}wasGeneratedBy>",
    )
    confidence, difficult, area = str(RUNE.confidence), str(RUNE.difficult), str(RUNE.area)
    cx, cy, long_side, heading = (
        str(RUNE.centroidX),
        str(RUNE.centroidY),
        str(RUNE.longSide),
        str(RUNE.heading),
    )
    radius, geometry, wkt = str(RUNE.boundingRadius), f"<{GEO}hasGeometry>", f"<{GEO}asWKT>"
    wkt_type, box_crs = f"^^<{GEO}wktLiteral>", f"<{RUNE.ImagePixelCRS.value}>"


def _entity_ntriples(
    e: str, types: str, obj: DotaObject, img: str, run: str, values: list, wkt: str
) -> str:
    """N-Triples of one entity: IRI `e`, its rdf:type lines `types`, `values` its area,
    centroid, long side, heading and bounding radius, `wkt` its pixel geometry."""
    t = _Terms
    area, cx, cy, long_side, heading, radius = values
    return (
        f"{e} {t.a} {t.entity} .\n{types}"
        f'{e} {t.class_name} "{obj.class_name}" .\n'
        f"{e} {t.in_image} {img} .\n"
        f"{e} {t.generated} {run} .\n"
        f'{e} {t.confidence} "{float(obj.confidence)!r}"{_DOUBLE} .\n'
        f'{e} {t.difficult} "{obj.difficult}"{_INTEGER} .\n'
        f'{e} {t.area} "{area!r}"{_DOUBLE} .\n'
        f'{e} {t.cx} "{cx!r}"{_DOUBLE} .\n'
        f'{e} {t.cy} "{cy!r}"{_DOUBLE} .\n'
        f'{e} {t.long_side} "{long_side!r}"{_DOUBLE} .\n'
        f'{e} {t.heading} "{heading!r}"{_DOUBLE} .\n'
        f'{e} {t.radius} "{radius!r}"{_DOUBLE} .\n'
        f"{e} {t.geometry} {e[:-1]}/geometry> .\n"
        f'{e[:-1]}/geometry> {t.wkt} "{wkt}"{t.wkt_type} .\n'
    )


_ENTITY_TRIPLES = 14  # besides the types


def _box_wkt(corners: list[float]) -> str:
    """A box's WKT from its 8 corner coordinates (exact float text, closed ring)."""
    x0, y0, x1, y1, x2, y2, x3, y3 = corners
    return (
        f"{_Terms.box_crs} POLYGON(({x0!r} {y0!r}, {x1!r} {y1!r}, {x2!r} {y2!r}, "
        f"{x3!r} {y3!r}, {x0!r} {y0!r}))"
    )


def _stored_relations(relations: PairRelations) -> list[tuple[ox.NamedNode, np.ndarray]]:
    """Relations as stored: symmetric ones once per pair (i < j), queried in both directions."""

    def once(pairs: np.ndarray) -> np.ndarray:
        return pairs[pairs[:, 0] < pairs[:, 1]]

    return [
        (r.iri, once(getattr(relations, r.name)) if r.symmetric else getattr(relations, r.name))
        for r in materialised()
    ]


def relation_count(relations: PairRelations) -> int:
    return sum(len(pairs) for _, pairs in _stored_relations(relations))


def _class_counts(image: DotaImage, source: str, img: ox.NamedNode) -> tuple[str, int]:
    """Per class (superclasses included), how many entities of this source the image holds:
    what the query planner reads to narrow a clause to the images that can satisfy it."""
    classes = ONTOLOGY.classes
    counts: dict[str, int] = {}
    for class_name, n in Counter(obj.class_name for obj in image.objects).items():
        cls = classes[class_name]
        for name in (cls.name, *(c.name for c in classes.values() if c.iri in cls.ancestors)):
            counts[name] = counts.get(name, 0) + n
    lines = []
    for name, n in sorted(counts.items()):
        node = ox.NamedNode(f"{iris.image_graph(source, image.image_id).value}/count/{name}")
        lines += [
            f"{img} {RUNE.classCount} {node} .",
            f"{node} {RUNE.countedClassName} {_literal(name)} .",
            f"{node} {RUNE.count} {_literal(n)} .",
        ]
    return "".join(line + "\n" for line in lines), len(lines)


def _world_geometries(
    img: ox.NamedNode,
    entity_base: str,
    georef: Georeference | None,
    boxes: Boxes,
    size: tuple[int, int] | None,
    objects: tuple[DotaObject, ...],
) -> tuple[str, int]:
    """A georeferenced image's footprint (when its size is known) and each entity's
    box or outline in CRS84 (the source's own CRS84 outline when it gives one), as their
    geo:hasDefaultGeometry (the pixel geometry stays their geo:hasGeometry)."""
    import shapely

    shapes = []  # (subject, node, CRS84 geometry)
    if georef is not None and size is not None:
        w, h = size
        corners = georef.to_crs84(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64))
        shapes.append((str(img), f"<{img.value}/footprint>", shapely.Polygon(corners)))
    worlds = [obj.world for obj in objects]
    placed = [k for k, world in enumerate(worlds) if world is None and georef is not None]
    if placed:  # one reprojection for all of them
        pixels = boxes.polygons[placed]
        for k, world in zip(placed, shapely.transform(pixels, georef.to_crs84)):
            worlds[k] = world
    shapes += [
        (f"<{entity_base}{k}>", f"<{entity_base}{k}/crs84>", world)
        for k, world in enumerate(worlds)
        if world is not None
    ]
    default, wkt = f"<{GEO}hasDefaultGeometry>", f"<{GEO}wktLiteral>"
    lines = []
    for subject, node, shape in shapes:
        text = (
            polygon_wkt(shapely.get_coordinates(shape)[:4], CRS84)
            if _is_box(shape)
            else f"<{CRS84}> {shape.wkt}"
        )
        lines += [
            f"{subject} {default} {node} .",
            f"{node} {RDF_TYPE} <{GEO}Geometry> .",
            f'{node} <{GEO}asWKT> "{text}"^^{wkt} .',
        ]
    return "".join(line + "\n" for line in lines), len(lines)


def _is_box(shape) -> bool:
    """A 4-corner polygon as a box's WKT writes it (written back the same way, exact floats)."""
    return shape.geom_type == "Polygon" and not shape.interiors and len(shape.exterior.coords) == 5


def _event(img: ox.NamedNode, event: EventImage) -> tuple[str, int]:
    """The image's disaster and phase, and the image of the same place on the other side of
    it (the event itself is described in its own graph: event_ntriples)."""
    triples = [
        (img, RUNE.event, iris.event_iri(event.event)),
        (img, RUNE.eventPhase, _literal(event.phase)),
    ]
    if event.counterpart:
        other = iris.image_iri(event.counterpart)
        link = RUNE.preEventImage if event.phase == "post" else RUNE.postEventImage
        triples.append((img, link, other))
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples), len(triples)


def event_ntriples(event: EventImage) -> str:
    """A disaster event: its name and type."""
    node = iris.event_iri(event.event)
    triples = [(node, RDF_TYPE, RUNE.DisasterEvent), (node, RDFS_LABEL, _literal(event.event))]
    if event.disaster_type:
        triples.append((node, RUNE.disasterType, _literal(event.disaster_type)))
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def image_ntriples(
    image: DotaImage,
    source: str,
    boxes: Boxes,
    relations: PairRelations,
    picture: Picture | None = None,
    georef: Georeference | None = None,
) -> tuple[str, int]:
    """N-Triples of one image from one source, and their count; `georef` places it on Earth."""
    img = iris.image_iri(image.image_id)
    facts = [(RDF_TYPE, RUNE.Image), (RUNE.imageId, _literal(image.image_id))]
    facts += [(getattr(RUNE, local), _literal(value)) for local, value in image.facts]
    if image.image_source:
        facts.append((RUNE.imageSource, _literal(image.image_source)))
    gsd = image.gsd if image.gsd is not None else georef and georef.metres_per_pixel
    if gsd is not None:
        gsd = float(gsd)
        facts.append((RUNE.gsd, _literal(gsd)))
    if picture:
        facts.append((RUNE.imageFile, _literal(Path(picture.path).name)))  # path: kg/pictures.py
    size = (picture.width, picture.height) if picture else image.size
    if size:
        facts += [(RUNE.width, _literal(size[0])), (RUNE.height, _literal(size[1]))]
    parts = [f"{img} {p} {o} .\n" for p, o in facts]
    count = len(facts)

    classes = ONTOLOGY.classes
    run = iris.run_iri(source)
    entity_base = iris.entity_iri(source, image.image_id, 0).value[:-1]
    types_of: dict[str, tuple] = {}
    columns = (boxes.area, boxes.cx, boxes.cy, boxes.long_side, boxes.heading, boxes.radius)
    values = np.stack(columns, axis=1).tolist()
    corners = boxes.corners.reshape(-1, 8).tolist()
    img_text, run_text = str(img), str(run)
    for k, obj in enumerate(image.objects):
        e = f"<{entity_base}{k}>"
        if obj.class_name not in types_of:
            cls = classes[obj.class_name]
            types_of[obj.class_name] = (cls.iri, *cls.ancestors)
        types = types_of[obj.class_name]
        outline = boxes.outline(k)
        wkt = _box_wkt(corners[k]) if outline is None else f"{_Terms.box_crs} {outline.wkt}"
        type_text = "".join(f"{e} {_Terms.a} {t} .\n" for t in types)
        parts.append(_entity_ntriples(e, type_text, obj, img_text, run_text, values[k], wkt))
        count += _ENTITY_TRIPLES + len(types)
        if outline is not None:
            parts.append(f'{e} {RUNE.isPolygon} "true"^^<{XSD}boolean> .\n')
            count += 1
        if obj.derived_from is not None:  # a layer's feature laid onto the image
            parts.append(f"{e} <{PROV}wasDerivedFrom> {ox.NamedNode(obj.derived_from)} .\n")
            count += 1
        if gsd is not None and georef is not None:  # a georeferenced image's entities
            parts.append(
                f'{e} {RUNE.lengthMetres} "{values[k][3] * gsd!r}"{_DOUBLE} .\n'
                f'{e} {RUNE.areaSquareMetres} "{values[k][0] * gsd * gsd!r}"{_DOUBLE} .\n'
            )
            count += 2
    if georef is not None or any(o.world is not None for o in image.objects):
        text, n = _world_geometries(img, entity_base, georef, boxes, size, image.objects)
        parts.append(text)
        count += n
    if image.event is not None:
        text, n = _event(img, image.event)
        parts.append(text)
        count += n
    counts_text, counts_triples = _class_counts(image, source, img)
    parts.append(counts_text)
    count += counts_triples
    entities = [f"<{entity_base}{k}>" for k in range(len(image.objects))]
    for prop, pairs in _stored_relations(relations):
        parts += [f"{entities[i]} {prop} {entities[j]} .\n" for i, j in pairs.tolist()]
        count += len(pairs)
    return "".join(parts), count
