"""Shared fixtures: the bundled real DOTA sample, ingested once into a real on-disk store."""

from __future__ import annotations

from pathlib import Path

import pytest

from rune_kg.ingest import ingest
from rune_kg.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "rune_kg" / "data" / "sample"
LABELS = SAMPLE / "labelTxt"
IMAGES = SAMPLE / "images"


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "db"
    store = Store(path)
    report = ingest([LABELS], store, source="dota", images_dir=IMAGES, progress=False, workers=2)
    assert not report.failures
    del store
    return path


@pytest.fixture(scope="session")
def store(store_dir) -> Store:
    return Store(store_dir, read_only=True)


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory) -> Store:
    """150 images resampled from the real annotations (rune_kg.synthetic): denser worlds, so
    that formulas which differ select different images."""
    from rune_kg.synthetic import CollectionSpec, read_real, synthetic_images, write_label_files

    folder = tmp_path_factory.mktemp("synthetic")
    spec = CollectionSpec(images=150, mean_objects=40.0, max_objects=400, seed=1)
    write_label_files(synthetic_images(read_real(LABELS), spec), folder / "labelTxt")
    store = Store(folder / "db")
    report = ingest([folder / "labelTxt"], store, source="dota", progress=False, workers=2)
    assert not report.failures
    del store
    return Store(folder / "db", read_only=True)


@pytest.fixture(scope="module")
def app(store_dir):
    """The server's Flask app over the real sample store (no update token; 2 s query limit)."""
    from rune_kg.server import create_app

    app = create_app({"STORE": str(store_dir), "QUERY_TIMEOUT": 2, "TESTING": True})
    yield app
    app.extensions["rune"].pool.close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(store_dir):
    """`rune serve` (waitress) on a free port of 127.0.0.1: its base URL."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "rune_kg.cli", "serve", "--store", str(store_dir), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if " on http://" not in line:
        process.kill()
        raise RuntimeError(f"rune serve did not start: {line}{process.stderr.read()}")
    yield line.split(" on ", 1)[1].split()[0]
    process.terminate()
    process.wait(timeout=10)
