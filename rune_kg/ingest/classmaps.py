"""Class maps: the values of a mask or a table (a class index, an "R,G,B" colour) -> ontology
classes, read from TOML (`background = [0]`, `[classes] 1 = "water"`). Bundled in class_maps/:
floodnet and xbd (class-index masks), isaid (instance colours), xbd-levels (xBD's damage levels
as integers, as tables of boxes write them)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import IngestError
from ..vocab import ONTOLOGY

BUNDLED = Path(__file__).with_name("class_maps")


@dataclass(frozen=True)
class ClassMap:
    """Mask values (an index, or "R,G,B") -> class names; background values."""

    name: str
    classes: dict[str, str]
    background: frozenset[str]


def load_class_map(name_or_path: str) -> ClassMap:
    """A bundled class map (floodnet, xbd, isaid) or a TOML file; IngestError when unreadable
    or naming a class the ontology lacks."""
    path = BUNDLED / f"{name_or_path}.toml"
    if not path.is_file():
        path = Path(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        bundled = ", ".join(sorted(p.stem for p in BUNDLED.glob("*.toml")))
        raise IngestError(f"class map {name_or_path}: {err} (bundled: {bundled})") from None
    classes = {str(k): v for k, v in (data.get("classes") or {}).items()}
    unknown = sorted(set(classes.values()) - set(ONTOLOGY.classes))
    if not classes or unknown:
        raise IngestError(
            f"class map {path}: "
            + (f"unknown classes {unknown}" if unknown else "no [classes] table")
        )
    return ClassMap(path.stem, classes, frozenset(str(v) for v in data.get("background", [0])))
