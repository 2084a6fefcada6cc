"""Where each image's picture file lies on this machine.

The graph names a picture by its file name only (rune:imageFile "P0706.png"): a published graph
holds no local paths, and the server publishes each picture by its URL (/images/<id>.png). The
paths are kept beside the store, in the folder of its entity index (pictures.json; a store in
memory keeps them in memory), written by ingest and read to draw pictures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import StoreError
from .store import KnowledgeGraph

FILE = "pictures.json"


def picture_paths(store: KnowledgeGraph) -> dict[str, str]:
    """image id -> the picture file's absolute path, for every image ingested with one."""
    if "pictures" not in store.cache:
        folder = store.index_folder
        file = folder / FILE if folder is not None else None
        try:
            found = json.loads(file.read_text()) if file is not None and file.is_file() else {}
        except (OSError, ValueError) as err:
            raise StoreError(f"cannot read the picture list {file}: {err}") from err
        store.cache["pictures"] = found
    return store.cache["pictures"]


def record_pictures(store: KnowledgeGraph, paths: dict[str, Path]) -> None:
    """Add these pictures (image id -> file) to the store's list, replacing older entries."""
    if not paths:
        return
    merged = {**picture_paths(store), **{k: str(Path(p).resolve()) for k, p in paths.items()}}
    store.cache["pictures"] = merged
    folder = store.index_folder
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(merged, indent=0, sort_keys=True))
    os.replace(tmp, folder / FILE)
