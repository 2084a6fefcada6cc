"""IRIs of data resources: images, entities, detection runs and their named graphs."""

from __future__ import annotations

import re
from urllib.parse import quote

import pyoxigraph as ox

from ..errors import IdentifierError
from ..vocab import DATA_NS

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")


def check_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise IdentifierError(
            f"{what} {value!r} must be letters, digits, '_', '.', '-' (starting with a letter or "
            "digit)"
        )
    return value


def image_iri(image_id: str) -> ox.NamedNode:
    return ox.NamedNode(f"{DATA_NS}image/{check_id(image_id, 'image id')}")


def run_iri(source: str) -> ox.NamedNode:
    return ox.NamedNode(f"{DATA_NS}run/{check_id(source, 'source name')}")


def entity_iri(source: str, image_id: str, index: int) -> ox.NamedNode:
    return ox.NamedNode(f"{DATA_NS}entity/{source}/{image_id}/{index}")


def image_graph(source: str, image_id: str) -> ox.NamedNode:
    """The named graph holding one image's entities from one source: replaced whole on re-ingest."""
    return ox.NamedNode(f"{DATA_NS}graph/{source}/{image_id}")


def image_graph_key(iri: str) -> tuple[str, str] | None:
    """(source, image id) of an IRI shaped as an image graph's; None for any other IRI."""
    prefix = DATA_NS + "graph/"
    parts = iri[len(prefix) :].split("/") if iri.startswith(prefix) else []
    return (parts[0], parts[1]) if len(parts) == 2 else None


def split_image_graph(iri: str) -> tuple[str, str]:
    """(source, image id) of an image graph IRI (ValueError for another IRI)."""
    key = image_graph_key(iri)
    if key is None:
        raise ValueError(f"not an image graph: <{iri}>")
    return key


def loaded_graph(name: str) -> ox.NamedNode:
    """The named graph `rune load` puts a file into by default."""
    return ox.NamedNode(f"{DATA_NS}graph/load/{check_id(name, 'graph name')}")


def run_graph(source: str) -> ox.NamedNode:
    return ox.NamedNode(f"{DATA_NS}graph/{source}")


def image_id_of(iri: ox.NamedNode | str) -> str:
    value = iri.value if isinstance(iri, ox.NamedNode) else iri
    return value.rsplit("/", 1)[-1]


def event_iri(event: str) -> ox.NamedNode:
    """A disaster event (xBD's name for it: hurricane-florence)."""
    return ox.NamedNode(f"{DATA_NS}event/{check_id(event, 'event name')}")


def event_graph(event: str) -> ox.NamedNode:
    """The named graph describing a disaster event (replaced whole on each ingest)."""
    return ox.NamedNode(f"{DATA_NS}graph/event/{check_id(event, 'event name')}")


def feature_iri(layer: str, index: int) -> ox.NamedNode:
    """Feature `index` of the vector layer `layer` (rune load of a GeoJSON file)."""
    return ox.NamedNode(f"{DATA_NS}feature/{check_id(layer, 'layer name')}/{index}")


def layer_property(key: str) -> ox.NamedNode:
    """The property of a layer's attribute `key` (percent-encoded into the IRI)."""
    return ox.NamedNode(f"{DATA_NS}property/{quote(key, safe='')}")
