"""Shared fixtures: the bundled real DOTA sample, ingested once into a real on-disk store."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from rune_kg.ingest import ingest
from rune_kg.kg import Store

SAMPLE = Path(__file__).resolve().parents[1] / "rune_kg" / "data" / "sample"
LABELS = SAMPLE / "labelTxt"
IMAGES = SAMPLE / "images"
_CACHE = tempfile.mkdtemp(prefix="rune-cache-")  # indexes of remote stores, for this run only
os.environ.setdefault("RUNE_CACHE", _CACHE)
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


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
    """150 images resampled from the real annotations (rune_kg.evaluation.synthetic): denser
    worlds, so
    that formulas which differ select different images."""
    from rune_kg.evaluation.synthetic import (
        CollectionSpec,
        read_real,
        synthetic_images,
        write_label_files,
    )

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
    app.extensions["rune"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def writable(tmp_path):
    """A store of three real images and a client of an app that takes updates with the token
    "s3cret"."""
    from rune_kg.server import create_app

    store = Store(tmp_path / "db")
    ingest(sorted(LABELS.glob("*.txt"))[:3], store, source="dota", progress=False, workers=1)
    del store
    app = create_app({"STORE": str(tmp_path / "db"), "UPDATE_TOKEN": "s3cret", "QUERY_WORKERS": 1})
    yield app.test_client()
    app.extensions["rune"].close()


def start_rune_serve(store_dir: Path, *options: str):
    """`rune serve` (waitress) on a free port of 127.0.0.1: (process, base URL)."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "rune_kg.cli", "serve", "--store", str(store_dir)]
    process = subprocess.Popen(
        [*command, "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if " on http://" not in line:
        process.kill()
        raise RuntimeError(f"rune serve did not start: {line}{process.stderr.read()}")
    return process, line.split(" on ", 1)[1].split()[0]


@pytest.fixture(scope="session")
def live_server(store_dir):
    """`rune serve` on the sample store: its base URL."""
    process, base = start_rune_serve(store_dir)
    yield base
    process.terminate()
    process.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_oxigraph(folder: Path, union: bool = True):
    """A real Oxigraph server (PyPI package `oxigraph`) on 127.0.0.1: (process, base URL)."""
    import shutil
    import subprocess
    import sys
    import time
    import urllib.request

    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    port = _free_port()
    command = [
        binary,
        "serve",
        "--location",
        str(folder),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout-s",
        "20",
    ]
    process = subprocess.Popen(
        command + (["--union-default-graph"] if union else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1).read()
            return process, base
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(
                    f"oxigraph did not start: {process.stderr.read().decode()}"
                ) from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("oxigraph did not answer within 10 s")


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory):
    """An Oxigraph server with the 25 real images ingested through rune ingest --endpoint: its
    base URL (query at /query, updates at /update)."""
    from rune_kg.cli import main

    process, base = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    try:
        status = main(
            [
                "ingest",
                str(LABELS),
                "--images",
                str(IMAGES),
                "--endpoint",
                base + "/query",
                "--update-endpoint",
                base + "/update",
                "--quiet",
                "--workers",
                "2",
            ]
        )
        assert status == 0
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
