"""The engine on real DOTA v1.0 (../shared/data/dota-v1, the benchmarks' data): every formula of
the query benchmark's suite, answered crisp on a slice of the real images, against the direct
model checker (restricted, as the benchmark's scan is, to the classes the formula can concern:
it enumerates assignments, exponential in the variables), and the index read back
memory-mapped."""

from __future__ import annotations

import sys
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rune_kg.evaluation.reference import ReferenceWorld, satisfies
from rune_kg.ingest import ingest
from rune_kg.ingest.dota import read_label_file
from rune_kg.kg import Store
from rune_kg.kg.index import class_table, load_index
from rune_kg.query.engine import answer
from rune_kg.query.formula import variables
from rune_kg.query.parse import parse
from rune_kg.query.plan import plan

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from data import ARCHIVE  # noqa: E402

from queries import SUITE  # noqa: E402

EVERY = 6  # one file in EVERY with at most MAX_OBJECTS objects: the checker's time is
MAX_OBJECTS = 120  # exponential in the variables, and grows with the objects of a class
CHECKER_BUDGET = 3e6  # assignments: an image is checked when (its objects) ** variables <= this


@pytest.fixture(scope="module")
def dota_v1(tmp_path_factory) -> tuple[Path, Store]:
    if not ARCHIVE.is_file():
        pytest.skip(f"{ARCHIVE} is not here")
    folder = tmp_path_factory.mktemp("dota-v1")
    with tarfile.open(ARCHIVE) as archive:
        members = [m for m in archive.getmembers() if m.name.endswith(".txt")]
        archive.extractall(folder, members=members[::EVERY], filter="data")
    labels = folder / "labelTxt"
    for path in labels.glob("*.txt"):
        if len(read_label_file(path).objects) > MAX_OBJECTS:
            path.unlink()
    store = Store(folder / "store")
    report = ingest([labels], store, source="dota", progress=False)
    assert report.images > 200 and not report.failures
    return labels, store


@pytest.mark.parametrize("text", SUITE)
def test_crisp_answers_equal_the_model_checker(dota_v1, text):
    labels, store = dota_v1
    formula = parse(text)
    universe = frozenset().union(*(c.universe for c in plan(formula).clauses))
    budget = CHECKER_BUDGET ** (1 / max(1, len(variables(formula))))  # objects per image
    checked, expected = set(), []
    for path in sorted(labels.glob("*.txt")):
        image = read_label_file(path)
        image = replace(image, objects=tuple(o for o in image.objects if o.class_name in universe))
        if len(image.objects) > budget:
            continue
        checked.add(path.stem)
        if satisfies(ReferenceWorld(image), formula) is not None:
            expected.append(path.stem)
    found = answer(formula, store, mode="crisp", limit=0)
    assert sorted(r.image for r in found.results if r.image in checked) == expected
    assert len(checked) >= 50


def test_the_saved_index_is_memory_mapped_and_equal(dota_v1):
    _, store = dota_v1
    built = load_index(store)
    reopened = Store(store.path, read_only=True)
    mapped = load_index(reopened)
    for column in (mapped.cls, mapped.pairs["near"]):  # plain arrays over a memory map
        assert type(column) is np.ndarray and isinstance(column.base, np.memmap)
    assert mapped.revision == built.revision == store.revision
    assert np.array_equal(mapped.corners, built.corners)
    for name, pairs in built.pairs.items():
        assert np.array_equal(mapped.pairs[name], pairs)
    derived = (
        mapped.class_counts_by_world,
        mapped.class_pairs("near"),
        mapped.pair_offsets("inside"),
    )
    for column in derived:  # saved with the index, read when first asked for
        assert isinstance(column.base, np.memmap)


def test_pair_lookups_equal_a_scan_of_every_pair(dota_v1):
    """What the engine reads from the index's derived columns (which worlds hold a pair of
    given classes; the pairs from given rows or in given worlds) equals a pass over all pairs."""
    _, store = dota_v1
    index = load_index(Store(store.path, read_only=True))
    rng = np.random.default_rng(0)
    for name, pairs in index.pairs.items():
        a, b = pairs.T
        for first, second in ((("ship",), ("harbor",)), (("vehicle",), ("vehicle", "plane"))):
            holds = class_table(frozenset(first))[index.cls[a]]
            holds &= class_table(frozenset(second))[index.cls[b]]
            expected = np.zeros(index.worlds, dtype=bool)
            expected[index.world_of_row[a[holds]]] = True
            found = index.worlds_with_pair(name, frozenset(first), frozenset(second))
            assert np.array_equal(found, expected), (name, first, second)
        rows = np.sort(rng.choice(len(index), size=len(index) // 7, replace=False))
        marked = np.zeros(len(index), dtype=bool)
        marked[rows] = True
        assert np.array_equal(index.pairs_from(name, rows), pairs[marked[a]])
        worlds = np.sort(rng.choice(index.worlds, size=index.worlds // 5, replace=False))
        within = np.isin(index.world_of_row[a], worlds)
        assert np.array_equal(index.pairs_within(name, worlds), pairs[within])
