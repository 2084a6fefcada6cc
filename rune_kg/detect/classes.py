"""From a detector's class names to the ontology's classes.

A model names its classes in its checkpoint (meta CLASSES) or its config's dataset; a DOTA
model's names are the ontology's DOTA names and map by themselves. For models trained on other
datasets, a small TOML file maps the rest (`mappings/` holds DIOR and FAIR1M):

    [classes]
    airplane = "plane"          # a DOTA name or a query-language name (small_vehicle)
    windmill = ""               # no ontology class: the model's windmills are dropped
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ClassMappingError
from ..vocab import leaf_classes

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"


@dataclass(frozen=True)
class ClassMapping:
    """Model class index -> ontology class name (None: dropped), and where the mapping came from."""

    model_classes: tuple[str, ...]
    targets: tuple[str | None, ...]
    source: str  # "DOTA names", a bundled mapping name, or a file path

    @property
    def unmapped(self) -> list[str]:
        return [m for m, t in zip(self.model_classes, self.targets) if t is None]

    def pairs(self) -> list[tuple[str, str]]:
        """(model class, ontology class name) for every mapped class."""
        return [(m, t) for m, t in zip(self.model_classes, self.targets) if t is not None]


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


def _ontology_names() -> dict[str, str]:
    """Normalised DOTA names and query-language names -> query-language class name."""
    names = {}
    for dota_name, cls in leaf_classes().items():
        names[_normal(dota_name)] = cls.name
        names[_normal(cls.name)] = cls.name
    return names


def _read_file(spec: str) -> tuple[dict[str, str], str]:
    path = (
        MAPPINGS_DIR / f"{spec}.toml" if (MAPPINGS_DIR / f"{spec}.toml").is_file() else Path(spec)
    )
    if not path.is_file():
        bundled = ", ".join(sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml")))
        raise ClassMappingError(f"--classes: no such file {spec!r} (bundled mappings: {bundled})")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("classes")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ClassMappingError(f"{path}: not a TOML file ({err})") from None
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ClassMappingError(
            f'{path}: expected a [classes] table of model name = "ontology class"'
        )
    return table, spec if path.parent == MAPPINGS_DIR else str(path)


def class_mapping(
    model_classes: list[str] | tuple[str, ...], mapping_file: str | None = None
) -> ClassMapping:
    """Map each model class to an ontology leaf class, by the file's entry or else by its name."""
    names = _ontology_names()
    explicit, source = _read_file(mapping_file) if mapping_file else ({}, "DOTA names")
    by_normal = {_normal(k): v for k, v in explicit.items()}
    targets: list[str | None] = []
    for model_class in model_classes:
        wanted = by_normal.get(_normal(model_class))
        if wanted is None:
            targets.append(names.get(_normal(model_class)))
        elif wanted == "":
            targets.append(None)
        elif _normal(wanted) in names:
            targets.append(names[_normal(wanted)])
        else:
            known = ", ".join(sorted(leaf_classes()))
            raise ClassMappingError(
                f"{source}: {model_class!r} maps to {wanted!r}, which is no ontology class "
                f"(known: {known})"
            )
    if not any(targets):
        raise ClassMappingError(
            f"none of the model's classes ({', '.join(model_classes)}) is an ontology class; "
            "give a mapping with --classes FILE"
        )
    return ClassMapping(tuple(model_classes), tuple(targets), source)
