"""run.json: the provenance that travels with a folder of DOTA Task1 detection files.

Task1 files hold boxes only. `rune detect --out` writes run.json beside them: the detection run
(detector, times, thresholds, checkpoint hash, class mapping, versions) and every image it read
with its picture file, including images with no detection (Task1 files cannot list those, yet
"no ship" is true of them). `rune ingest` of that folder reads it back, so the graph records
the same provenance as `rune detect --ingest` would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import RunFileError
from ..vocab import ONTOLOGY, RUNE
from .records import RunInfo

RUN_FILE = "run.json"
FORMAT = "rune-kg detection run 1"


@dataclass(frozen=True)
class RunFile:
    path: Path
    run: RunInfo
    pictures: dict[str, Path | None]  # every image the run read -> its picture file, if known


def write_run_file(folder: Path, run: RunInfo, pictures: dict[str, Path | None]) -> Path:
    """Write `folder`/run.json for the run and the images it read."""
    document = {
        "format": FORMAT,
        "source": run.source,
        "detector": run.detector,
        "started": run.started.isoformat(),
        "ended": run.ended.isoformat() if run.ended else None,
        "properties": [[name, value] for name, value in run.extra],
        "class_mapping": [[model_class, name] for model_class, name in run.class_map],
        "images": {
            image_id: str(path) if path else None for image_id, path in sorted(pictures.items())
        },
    }
    path = Path(folder) / RUN_FILE
    path.write_text(json.dumps(document, indent=1) + "\n")
    return path


def read_run_file(path: Path) -> RunFile:
    """Read a run.json written by `write_run_file`."""
    try:
        document = json.loads(path.read_text())
        if document.get("format") != FORMAT:
            raise RunFileError(
                f"{path}: not a rune-kg run file (format {document.get('format')!r}, expected "
                f"{FORMAT!r})"
            )
        run = RunInfo(
            document["source"],
            document["detector"],
            datetime.fromisoformat(document["started"]),
            datetime.fromisoformat(document["ended"]) if document["ended"] else None,
            tuple((str(name), value) for name, value in document["properties"]),
            tuple((str(model_class), str(name)) for model_class, name in document["class_mapping"]),
        )
        pictures = {
            str(image_id): Path(p) if p else None for image_id, p in document["images"].items()
        }
    except RunFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise RunFileError(f"{path}: unreadable run file ({type(err).__name__}: {err})") from None
    _check_terms(path, run)
    return RunFile(path, run, pictures)


def _check_terms(path: Path, run: RunInfo) -> None:
    """Properties must be rune: terms with plain values, mapped classes ontology classes."""
    for name, value in run.extra:
        if (
            not hasattr(RUNE, name)
            or isinstance(value, bool)
            or not isinstance(value, (str, int, float))
        ):
            raise RunFileError(
                f"{path}: property {name!r} = {value!r} is not a rune: property with a plain value"
            )
    for model_class, name in run.class_map:
        if name not in ONTOLOGY.classes:
            raise RunFileError(
                f"{path}: class mapping {model_class!r} -> {name!r}: no such ontology class"
            )
