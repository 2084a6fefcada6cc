"""The entity index: every entity's class, confidence and box, and the stored relations, as
numpy columns grouped by world (one image as one source sees it: one named graph).

The knowledge graph is the source of truth. The index is derived from it (by ingest, which
has the values at hand, or rebuilt from the store with two SPARQL queries) and saved in the
store's folder stamped with the store's revision, so that a stale index is never used. The
query engine evaluates clauses on it at memory speed: fetching a conditioned subset from
Oxigraph costs about 10 microseconds per attribute per entity, which alone would exceed the
query budget at DOTA scale.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pyoxigraph as ox

from ..errors import StoreError
from ..vocab import ONTOLOGY, descendants, materialised
from . import iris
from .geometry import Boxes, PairRelations, sorted_unique
from .store import KnowledgeGraph
from .wkt import pixel_geometry, polygon_corners

CLASSES: tuple[str, ...] = tuple(sorted(ONTOLOGY.classes))  # class code -> name
CODES = {name: code for code, name in enumerate(CLASSES)}

# The stored relations, from the catalogue; the index keeps symmetric ones in both directions.
STORED = tuple(r.name for r in materialised())
INDEX_PREFIX = "rune-index-v3-"  # + the store's revision: the folder of one saved index
_COLUMNS = ("cls", "conf", "corners", "cx", "cy", "area", "long", "heading", "radius", "polygon")


@dataclass(frozen=True)
class WorldEntities:
    """One world as ingest measured it: what it adds to the index."""

    source: str
    image_id: str
    classes: list[str]
    confidence: np.ndarray
    boxes: Boxes
    relations: PairRelations


@dataclass
class EntityIndex:
    """Columns of all entities, world by world: world w owns rows offsets[w]:offsets[w + 1],
    in entity order (row offsets[w] + k is entity k of the world's graph)."""

    revision: str | None
    source: np.ndarray  # (W,) str
    image_id: np.ndarray  # (W,) str
    offsets: np.ndarray  # (W + 1,) int64
    cls: np.ndarray  # (N,) int16, code into CLASSES
    conf: np.ndarray  # (N,) float64
    corners: np.ndarray  # (N, 8) float64
    cx: np.ndarray
    cy: np.ndarray
    area: np.ndarray
    long: np.ndarray
    heading: np.ndarray
    radius: np.ndarray  # Boxes.radius: far_from's bound
    polygon: np.ndarray  # (N,) bool: a polygon outline (its WKT in the store), not a box
    pairs: dict[str, np.ndarray] = field(default_factory=dict)  # STORED name -> (M, 2) rows, sorted
    folder: Path | None = None  # where it was saved and read from: see _derived
    derived: dict[str, np.ndarray] = field(default_factory=dict)  # see _derived

    @property
    def worlds(self) -> int:
        return len(self.source)

    def __len__(self) -> int:
        return len(self.cls)

    @property
    def class_counts_by_world(self) -> np.ndarray:
        """(W, len(CLASSES)) entities per world and class."""

        def compute() -> np.ndarray:
            cells = self.world_of_row * len(CLASSES) + self.cls
            counts = np.bincount(cells, minlength=self.worlds * len(CLASSES))
            return counts.astype(np.int32).reshape(-1, len(CLASSES))

        return self._derived("class_counts", compute)

    def class_counts(self, name: str) -> np.ndarray:
        """(W,) entities per world of class `name` (its subclasses included)."""
        return self.class_counts_by_world[:, class_codes(name)].sum(axis=1)

    @cached_property
    def world_of_row(self) -> np.ndarray:
        return np.repeat(np.arange(self.worlds), np.diff(self.offsets))

    def class_pairs(self, name: str) -> np.ndarray:
        """Which class pairs relation `name` links in each world: the sorted keys (first class
        * len(CLASSES) + second class) * worlds + world of its pairs, without repeats."""

        def compute() -> np.ndarray:  # marked in a (world, class pair) table: faster than a sort
            a, b = self.pairs[name].T
            square = len(CLASSES) ** 2
            present = np.zeros(self.worlds * square, dtype=bool)
            classes = self.cls[a].astype(np.int64) * len(CLASSES) + self.cls[b]
            present[self.world_of_row[a] * square + classes] = True
            found = np.flatnonzero(present)  # world * square + class pair
            return np.sort((found % square) * self.worlds + found // square)

        return self._derived(f"class_pairs_{name}", compute)

    def pair_offsets(self, name: str) -> np.ndarray:
        """(N + 1,): the pairs of relation `name` from row r are pairs[off[r]:off[r + 1]]."""

        def compute() -> np.ndarray:
            offsets = np.zeros(len(self) + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.pairs[name][:, 0], minlength=len(self)), out=offsets[1:])
            return offsets

        return self._derived(f"pair_offsets_{name}", compute)

    def _derived(self, key: str, compute) -> np.ndarray:
        """A column derived from the others, read on first use: saved with the index, else
        computed (an index built in memory, or saved by an earlier release)."""
        column = self.derived.get(key)
        if column is None:
            try:
                column = _mapped(self.folder / f"{key}.npy") if self.folder else compute()
            except FileNotFoundError:
                column = compute()
            self.derived[key] = column
        return column

    def worlds_with_pair(
        self, name: str, first: frozenset[str], second: frozenset[str]
    ) -> np.ndarray:
        """(W,) booleans: the worlds holding a pair of relation `name` from a class in `first`
        to a class in `second` (class names). Reads the class pairs asked, not every pair."""
        keys = self.class_pairs(name)
        wanted = np.flatnonzero(np.outer(class_table(first), class_table(second)).ravel())
        starts = np.searchsorted(keys, wanted * self.worlds)
        ends = np.searchsorted(keys, (wanted + 1) * self.worlds)
        result = np.zeros(self.worlds, dtype=bool)
        for start, end in zip(starts.tolist(), ends.tolist()):
            result[keys[start:end] % self.worlds] = True
        return result

    @cached_property
    def pair_codes(self) -> dict[str, np.ndarray]:
        """Each relation's pairs as sorted codes i * N + j (N entities), for membership tests."""
        return {name: p[:, 0] * len(self) + p[:, 1] for name, p in self.pairs.items()}

    def pairs_from(self, name: str, rows: np.ndarray) -> np.ndarray:
        """The pairs of relation `name` whose first row is in `rows` (sorted), in stored order."""
        offsets = self.pair_offsets(name)
        return _spans(self.pairs[name], offsets[rows], offsets[rows + 1])

    def pairs_within(self, name: str, worlds: np.ndarray) -> np.ndarray:
        """The pairs of relation `name` in `worlds` (sorted world numbers), in stored order."""
        offsets = self.pair_offsets(name)
        starts, ends = self.offsets[worlds], self.offsets[worlds + 1]
        return _spans(self.pairs[name], offsets[starts], offsets[ends])

    def pair_slice(self, name: str, w: int) -> np.ndarray:
        """The pairs of relation `name` within world w, as global rows."""
        lo, hi = self.pair_offsets(name)[self.offsets[w : w + 2]]
        return self.pairs[name][lo:hi]

    def world_key(self, w: int) -> tuple[str, str]:
        return str(self.source[w]), str(self.image_id[w])

    @cached_property
    def world_numbers(self) -> dict[tuple[str, str], int]:
        """(source, image id) -> world number."""
        return {key: w for w, key in enumerate(zip(self.source.tolist(), self.image_id.tolist()))}

    def without(self, keys: set[tuple[str, str]]) -> EntityIndex:
        """The index minus the worlds with these (source, image id) keys. A world's pairs are
        one slice of each sorted pair list: the rest is copied in pieces, each shifted by the
        rows removed before it."""
        dropped = sorted(self.world_numbers[k] for k in keys if k in self.world_numbers)
        if not dropped:
            return self
        keep = np.ones(self.worlds, dtype=bool)
        keep[dropped] = False
        row_keep = np.repeat(keep, np.diff(self.offsets))
        pairs = {}
        for name, p in self.pairs.items():
            pieces, start, removed_rows = [], 0, 0
            for w in dropped:
                lo, hi = np.searchsorted(p[:, 0], self.offsets[w : w + 2])
                pieces.append(p[start:lo] - removed_rows)
                start = hi
                removed_rows += int(self.offsets[w + 1] - self.offsets[w])
            pieces.append(p[start:] - removed_rows)
            pairs[name] = np.concatenate(pieces)
        sizes = np.diff(self.offsets)[keep]
        return EntityIndex(
            self.revision,
            self.source[keep],
            self.image_id[keep],
            np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            **{c: getattr(self, c)[row_keep] for c in _COLUMNS},
            pairs=pairs,
        )

    def replace(
        self, worlds: list[WorldEntities], revision: str | None, removed: frozenset = frozenset()
    ) -> EntityIndex:
        """A new index where these worlds replace any with the same (source, image id), and the
        worlds of the `removed` keys are gone."""
        added = from_worlds(worlds, revision)
        kept = self.without({(w.source, w.image_id) for w in worlds} | set(removed))
        return _concatenate(kept, added, revision)

    def save(self, folder: Path) -> Path:
        """Write as one .npy file per column into folder/<INDEX_PREFIX><revision>, atomically (a
        temporary folder, then a rename), and remove the folders of earlier revisions."""
        target = folder / _folder_name(self.revision)
        tmp = folder / f".{INDEX_PREFIX}tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, column in self._columns().items():
            np.save(tmp / f"{name}.npy", column, allow_pickle=False)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        for old in folder.glob("rune-index-*"):  # earlier revisions and formats
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        return target

    def _columns(self) -> dict[str, np.ndarray]:
        return {
            "source": self.source,
            "image_id": self.image_id,
            "offsets": self.offsets,
            **{c: getattr(self, c) for c in _COLUMNS},
            **{f"pairs_{name}": p for name, p in self.pairs.items()},
            "class_counts": self.class_counts_by_world,
            **{f"class_pairs_{name}": self.class_pairs(name) for name in self.pairs},
            **{f"pair_offsets_{name}": self.pair_offsets(name) for name in self.pairs},
        }

    @classmethod
    def load(cls, folder: Path, revision: str) -> EntityIndex:
        """The index saved for `revision`, its columns memory-mapped (read on first use, and
        shared between processes through the page cache)."""
        path = folder / _folder_name(revision)

        def column(name: str) -> np.ndarray:
            return _mapped(path / f"{name}.npy")

        return cls(
            revision,
            column("source"),
            column("image_id"),
            column("offsets"),
            **{c: column(c) for c in _COLUMNS},
            pairs={name: column(f"pairs_{name}") for name in STORED},
            folder=path,
        )


def _mapped(file: Path) -> np.ndarray:
    """A saved column, memory-mapped: read on first use, and shared between processes through
    the page cache. A plain array over the mapping: numpy's memmap class doubles the cost of
    every gather."""
    return np.asarray(np.load(file, mmap_mode="r", allow_pickle=False))


def _folder_name(revision: str) -> str:
    """The folder of the index saved for `revision` (a store's token; hashed unless it is the
    hex token rune-kg writes)."""
    if revision.isalnum() and len(revision) <= 64:
        return INDEX_PREFIX + revision
    return INDEX_PREFIX + hashlib.sha1(revision.encode()).hexdigest()


def spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions starts[k], starts[k] + 1, ..., starts[k] + sizes[k] - 1, span after span."""
    return np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))


def _spans(pairs: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The pairs[starts[k]:ends[k]], one span after another."""
    return np.take(pairs, spans(starts, ends - starts), axis=0)  # pairs[at]: 4 times slower


def class_codes(name: str) -> np.ndarray:
    """Leaf class codes that make `name(x)` true."""
    return np.array(sorted(CODES[c] for c in descendants(name)), dtype=np.int64)


@cache
def class_table(names: frozenset[str]) -> np.ndarray:
    """Booleans by class code: True for the classes that make any of `names` true
    (index it with a cls column to get a mask)."""
    table = np.zeros(len(CLASSES), dtype=bool)
    for name in names:
        table[class_codes(name)] = True
    table.flags.writeable = False
    return table


def _empty(revision: str | None) -> EntityIndex:
    return EntityIndex(
        revision,
        np.array([], dtype=str),
        np.array([], dtype=str),
        np.zeros(1, np.int64),
        np.zeros(0, np.int16),
        np.zeros(0),
        np.zeros((0, 8)),
        *(np.zeros(0) for _ in range(6)),
        np.zeros(0, dtype=bool),
        pairs={name: np.zeros((0, 2), np.int64) for name in STORED},
    )


def _sorted_pairs(chunks: list[np.ndarray]) -> np.ndarray:
    """The pairs of all chunks, without repeats, sorted by first row then second (as
    pair_slice needs), sorted as single int64 codes: much faster than np.unique(axis=0)."""
    pairs = np.concatenate(chunks).astype(np.int64) if chunks else np.zeros((0, 2), np.int64)
    if not len(pairs):
        return pairs.reshape(0, 2)
    base = int(pairs.max()) + 1
    codes = sorted_unique(pairs[:, 0] * base + pairs[:, 1])
    return np.stack([codes // base, codes % base], axis=1)


def from_worlds(worlds: list[WorldEntities], revision: str | None) -> EntityIndex:
    if not worlds:
        return _empty(revision)
    sizes = [len(w.classes) for w in worlds]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    boxes = [w.boxes for w in worlds]
    pairs = {}
    for relation in materialised():
        chunks = []
        for w, start in zip(worlds, offsets):
            p = getattr(w.relations, relation.name) + start
            chunks.append(np.concatenate([p, p[:, ::-1]]) if relation.symmetric else p)
        pairs[relation.name] = _sorted_pairs(chunks)
    return EntityIndex(
        revision,
        np.array([w.source for w in worlds]),
        np.array([w.image_id for w in worlds]),
        offsets,
        np.array([CODES[c] for w in worlds for c in w.classes], dtype=np.int16),
        np.concatenate([np.asarray(w.confidence, dtype=np.float64) for w in worlds]),
        np.concatenate([b.corners.reshape(-1, 8) for b in boxes]),
        *(
            np.concatenate([getattr(b, a) for b in boxes])
            for a in ("cx", "cy", "area", "long_side", "heading", "radius")
        ),
        np.concatenate(
            [
                np.zeros(len(b), bool) if b.outlines is None else b.outlines != None  # noqa: E711
                for b in boxes
            ]
        ),
        pairs=pairs,
    )


def _concatenate(first: EntityIndex, second: EntityIndex, revision: str | None) -> EntityIndex:
    """The worlds of both, first's then second's. Pairs stay sorted without sorting again: each
    index's pairs are sorted by row, and every row of second comes after first's."""
    shift = len(first)
    return EntityIndex(
        revision,
        np.concatenate([first.source, second.source]),
        np.concatenate([first.image_id, second.image_id]),
        np.concatenate([first.offsets, second.offsets[1:] + shift]),
        **{c: np.concatenate([getattr(first, c), getattr(second, c)]) for c in _COLUMNS},
        pairs={n: np.concatenate([first.pairs[n], second.pairs[n] + shift]) for n in STORED},
    )


# -- rebuilding from the store ------------------------------------------------------------

_ENTITIES = """SELECT ?g ?e ?cls ?conf ?wkt ?polygon WHERE { %s GRAPH ?g {
  ?e rune:className ?cls ; rune:confidence ?conf ; geo:hasGeometry/geo:asWKT ?wkt
  OPTIONAL { ?e rune:isPolygon ?polygon } } }"""
_WORLDS = "SELECT ?g WHERE { %s GRAPH ?g { ?i a rune:Image } }"
_RELATIONS = "SELECT ?g ?p ?a ?b WHERE { %s GRAPH ?g { VALUES ?p { %s } ?a ?p ?b } }"


_OLD_FORMAT = """ASK { { SELECT ?e WHERE { ?e a rune:Entity } LIMIT 1 }
  FILTER NOT EXISTS { ?e rune:boundingRadius ?r } }"""


def from_store(store: KnowledgeGraph, progress: bool = True) -> EntityIndex:
    """Rebuild the index from the graph (slow at scale: every IRI is read back). A store written
    before far_from's bound (no rune:boundingRadius) is refused: its far_from pairs differ."""
    revision = store.revision
    if store.query(_OLD_FORMAT):
        raise StoreError(
            f"the store {store.location} was written by an older rune-kg (its entities have no "
            "rune:boundingRadius, which far_from reads): ingest its files again into a new store"
        )
    return from_worlds(_read_worlds(store, progress), revision)


def _read_worlds(
    store: KnowledgeGraph, progress: bool = True, graphs_only: list[str] | None = None
) -> list[WorldEntities]:
    """The worlds of the store's image graphs (only of `graphs_only` when it is given)."""
    among = ""
    if graphs_only is not None:
        among = f"VALUES ?g {{ {' '.join(str(ox.NamedNode(g)) for g in graphs_only)} }}"
    graphs: dict[str, tuple[str, str]] = {}  # graph IRI -> (source, image id)
    for row in store.query(_WORLDS % among, union=False):
        graphs[row["g"].value] = iris.split_image_graph(row["g"].value)
    if progress and graphs and graphs_only is None:
        print(
            "rune: building the entity index from the store (once per store revision)...",
            file=sys.stderr,
        )
    entities: dict[str, list] = {g: [] for g in graphs}
    for row in store.query(_ENTITIES % among, union=False):
        k = int(row["e"].value.rsplit("/", 1)[1])
        wkt = row["wkt"].value
        outline = pixel_geometry(wkt) if row["polygon"] is not None else None
        corners = polygon_corners(wkt) if outline is None else [(0.0, 0.0)] * 4
        entities[row["g"].value].append(
            (k, row["cls"].value, float(row["conf"].value), corners, outline)
        )
    relations: dict[str, dict[str, list]] = {g: {n: [] for n in STORED} for g in graphs}
    by_property = {r.iri.value: r.name for r in materialised()}
    values = " ".join(str(r.iri) for r in materialised())
    for row in store.query(_RELATIONS % (among, values), union=False):
        a, b = (int(row[v].value.rsplit("/", 1)[1]) for v in ("a", "b"))
        relations[row["g"].value][by_property[row["p"].value]].append((a, b))
    worlds = []
    for graph, (source, image_id) in graphs.items():
        rows = sorted(entities[graph])
        corners = np.array([r[3] for r in rows], dtype=np.float64).reshape(-1, 4, 2)
        rel = {n: np.array(p, dtype=np.int64).reshape(-1, 2) for n, p in relations[graph].items()}
        worlds.append(
            WorldEntities(
                source,
                image_id,
                [r[1] for r in rows],
                np.array([r[2] for r in rows]),
                Boxes.from_entities(corners, [r[4] for r in rows]),
                PairRelations(**rel),
            )
        )
    return worlds


def index_lock(store: KnowledgeGraph) -> threading.RLock:
    """Held while the store's index is built or brought up to date (a writer holds it from its
    write to the index's refresh, so that readers wait for the refreshed index rather than
    rebuild it)."""
    return store.cache.setdefault("lock", threading.RLock())


def load_index(store: KnowledgeGraph, progress: bool = True) -> EntityIndex:
    """The store's index: cached per store state, else read from its folder when one was saved
    for the store's revision, else rebuilt from the store (and saved when it can be)."""
    cached = store.cache.get("index")
    if cached and cached[0] == store.generation:
        return cached[1]
    with index_lock(store):
        return _load_index(store, progress)


def _load_index(store: KnowledgeGraph, progress: bool) -> EntityIndex:
    cached = store.cache.get("index")
    if cached and cached[0] == store.generation:
        return cached[1]
    revision = store.revision
    folder = store.index_folder
    index = None
    if folder is not None and revision is not None:
        try:
            index = EntityIndex.load(folder, revision)
        except (OSError, ValueError):
            index = None  # missing or unreadable: rebuild
    if index is None:
        index = from_store(store, progress)
        save_index(store, index)
    store.cache["index"] = (store.generation, index)
    return index


def save_index(store: KnowledgeGraph, index: EntityIndex) -> None:
    """Save beside the store when possible; an index that cannot be saved is rebuilt next time."""
    store.cache["index"] = (store.generation, index)
    if store.index_folder is not None and index.revision is not None:
        try:
            index.save(store.index_folder)
        except OSError:
            pass


def refresh_index(store: KnowledgeGraph, graphs: frozenset[str] | None) -> None:
    """After a write that may have changed these named graphs (None: any), bring the cached index
    up to date: the worlds of those graphs are read again (milliseconds for a few), the rest
    kept. With any graph changed, the index is rebuilt on its next use. Call it holding
    index_lock from before the write."""
    cached = store.cache.get("index")
    if graphs is None or cached is None or cached[0] != store.generation - 1:
        store.cache.pop("index", None)
        return
    touched = {g: key for g in graphs if (key := iris.image_graph_key(g)) is not None}
    index = cached[1].replace(
        _read_worlds(store, progress=False, graphs_only=list(touched)) if touched else [],
        store.revision,
        removed=frozenset(touched.values()),
    )
    store.cache["index"] = (store.generation, index)
