"""Ingest stage: DOTA files (annotations or detections), or images a detector has just read,
-> one named graph per image in the store.

Files are read, measured and rendered to N-Triples in worker processes; the main process
streams them into the store as they come (new images through Oxigraph's bulk loader, a call
per kg.embedded.BULK_BYTES; images already there replaced one transaction each), then updates the
entity index (rune_kg.kg.index) with the same measurements. A broken file fails alone, before
anything of it is written, and is reported with its reason.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from tqdm import tqdm

from ..errors import IngestError, LabelFormatError, RunFileError
from ..kg import KnowledgeGraph, iris
from ..kg.geometry import Boxes, pair_relations
from ..kg.index import WorldEntities, load_index, save_index
from ..kg.pictures import record_pictures
from . import rdf
from .boxtable import is_box_table, read_box_table
from .classmaps import load_class_map
from .dota import is_detection_file, read_detection_files
from .georef import Georeference, read_georef_table, read_georeference
from .masks import MaskOptions, image_id_of
from .overlay import Overlay, overlaid
from .readers import describe, is_label_file, read_labels
from .records import PICTURE_SUFFIXES, DotaImage, EventImage, Failure, Picture, RunInfo
from .runfile import RUN_FILE, RunFile, read_run_file


@dataclass
class IngestReport:
    source: str = ""
    images: int = 0
    entities: int = 0
    triples: int = 0
    relations: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    empty: int = 0  # images with no objects (an empty labelTxt file, no detection)
    zero_area: int = 0  # boxes whose corners enclose no area (kept, and counted here)


@dataclass(frozen=True)
class _Rendered:
    """One image as N-Triples, ready to write."""

    image_id: str
    ntriples: str
    entities: int
    triples: int
    relations: int
    zero_area: int
    world: WorldEntities
    picture: str | None  # the picture file's path
    event: EventImage | None  # the disaster it was taken before or after


@dataclass(frozen=True)
class _Job:
    """What a worker needs: a labelTxt path or an already gathered image, and the options."""

    source: str
    images_dir: Path | None
    path: Path | None = None
    image: DotaImage | None = None
    picture: Path | None = None  # the image's picture file, when the caller knows it
    georeference: Georeference | None = None  # from --georef: wins over the picture's own
    masks: MaskOptions = MaskOptions()
    overlays: tuple[Overlay, ...] = ()  # vector layers laid onto georeferenced images


def _input_files(paths: list[Path], masks: MaskOptions, required: bool = True) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if is_label_file(p, masks) and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise IngestError(f"no such file or folder: {path}")
    if not files and required:
        raise IngestError(
            "no label files (.txt, .json, .csv; masks with --class-map) found in "
            + ", ".join(map(str, paths))
        )
    return files


def _run_file(paths: list[Path]) -> RunFile | None:
    """The run.json of the detection files, if there is one (in a folder given, or beside a
    Task1 file given); one run per ingest."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(path.rglob(RUN_FILE))
        elif is_detection_file(path) and (path.parent / RUN_FILE).is_file():
            found.add(path.parent / RUN_FILE)
    if len(found) > 1:
        raise IngestError(
            "detection files of several runs ("
            + ", ".join(map(str, sorted(found)))
            + "); ingest one run's folder at a time, each under its own --source"
        )
    try:
        return read_run_file(found.pop()) if found else None
    except RunFileError as err:
        raise IngestError(str(err)) from None


def picture_of(path: Path) -> Picture:
    """A picture file with its size, read from the file header, and its georeference: a
    GeoTIFF's own, or a world file's beside it (P0706.pgw, .jgw, .tfw, .wld) with the CRS of a
    .prj or .aux.xml file, as GDAL reads them."""
    with PILImage.open(path) as picture:
        width, height = picture.size
    georeference = None
    suffix = path.suffix.lower()
    world_files = (suffix[:2] + suffix[-1] + "w", suffix + "w", ".wld")
    if suffix in (".tif", ".tiff") or any(path.with_suffix(w).is_file() for w in world_files):
        georeference = read_georeference(path)
    return Picture(str(path.resolve()), width, height, georeference)


def find_picture(images_dir: Path, image_id: str) -> Picture | None:
    """The picture file of an image in `images_dir`, if there is one."""
    for suffix in PICTURE_SUFFIXES:
        path = images_dir / f"{image_id}{suffix}"
        if path.is_file():
            return picture_of(path)
    return None


def _render(job: _Job) -> _Rendered | Failure:
    try:
        image = job.image or read_labels(job.path, job.masks)
        iris.check_id(image.image_id, "image id")
        if job.picture:
            picture = picture_of(job.picture)
        else:
            picture = find_picture(job.images_dir, image.image_id) if job.images_dir else None
        georeference = (
            job.georeference or image.georeference or (picture.georeference if picture else None)
        )
        if georeference is not None and job.overlays:
            size = (picture.width, picture.height) if picture else image.size
            image = overlaid(image, georeference, size, job.overlays)
        corners = np.array([o.corners for o in image.objects], dtype=np.float64).reshape(-1, 4, 2)
        boxes = Boxes.from_entities(corners, [o.outline for o in image.objects])
        relations = pair_relations(boxes)
        text, triples = rdf.image_ntriples(
            image, job.source, boxes, relations, picture, georeference
        )
        world = WorldEntities(
            job.source,
            image.image_id,
            [o.class_name for o in image.objects],
            np.array([o.confidence for o in image.objects], dtype=np.float64),
            boxes,
            relations,
        )
        return _Rendered(
            image.image_id,
            text,
            len(image.objects),
            triples,
            rdf.relation_count(relations),
            int(np.count_nonzero(boxes.area <= 0)),
            world,
            picture.path if picture else None,
            image.event,
        )
    except (LabelFormatError, iris.IdentifierError, OSError) as err:
        return Failure(str(job.path or job.image.source_file), str(err))


def _jobs(
    files: list[Path],
    source: str,
    images_dir: Path | None,
    run_file: RunFile | None,
    georefs: dict[str, Georeference],
    masks: MaskOptions,
) -> Iterator[_Job | Failure]:
    for table in (f for f in files if is_box_table(f)):
        try:
            images = read_box_table(table, masks.class_map or load_class_map("xbd-levels"))
        except LabelFormatError as err:
            yield Failure(str(table), str(err))
            continue
        for image in images:
            yield _Job(source, images_dir, image=image, georeference=georefs.get(image.image_id))
    detections = [f for f in files if is_detection_file(f)]
    if detections or run_file:
        pictures = run_file.pictures if run_file else {}
        found, errors = read_detection_files(detections)
        for err in errors:
            yield Failure(str(err.path), str(err))
        if not errors:
            images = {image.image_id: image for image in found}
            for image_id in sorted(
                pictures.keys() - images.keys()
            ):  # read by the detector, nothing found
                images[image_id] = DotaImage(image_id, str(run_file.path), ())
            for image_id, image in sorted(images.items()):
                picture = pictures.get(image_id)
                yield _Job(
                    source,
                    images_dir,
                    image=image,
                    picture=picture if picture and picture.is_file() else None,
                    georeference=georefs.get(image_id),
                )
    for path in files:
        if not is_detection_file(path) and not is_box_table(path):
            georeference = georefs.get(image_id_of(path))  # its stem, less a mask's suffix
            yield _Job(source, images_dir, path=path, georeference=georeference, masks=masks)


def ingest(
    paths: Iterable[Path | str],
    store: KnowledgeGraph,
    source: str | None = None,
    images_dir: Path | str | None = None,
    progress: bool = True,
    workers: int | None = None,
    georef: Path | str | None = None,
    masks: MaskOptions = MaskOptions(),
    overlays: tuple[Overlay, ...] = (),
) -> IngestReport:
    """Read label files and store one graph per image: DOTA labelTxt or Task1_<class>.txt
    detections, xBD label JSON, tables of boxes (CSV), class-index masks (with
    `masks.class_map`) and iSAID instance masks (their options: `masks`).

    Detection files with a run.json beside them (written by `rune detect --out`) are stored with
    that run's provenance, and with the images it read that have no detection. `source` defaults
    to the run's source name, else "dota". `georef`: a CSV that places images on Earth
    (georef.read_georef_table), over their pictures' own georeferences. `overlays`: vector
    layers whose features become entities of the georeferenced images they lie on (overlay)."""
    started = datetime.now(UTC)
    paths = [Path(p) for p in paths]
    run_file = _run_file(paths)
    files = _input_files(paths, masks, required=run_file is None)
    source = source or (run_file.run.source if run_file else "dota")
    iris.check_id(source, "source name")
    images_dir = Path(images_dir) if images_dir else None
    if images_dir and not images_dir.is_dir():
        raise IngestError(f"--images: no such folder: {images_dir}")
    georefs = read_georef_table(Path(georef)) if georef else {}
    if run_file:
        run = replace(run_file.run, source=source)
    else:
        run = RunInfo(source, describe(files, masks), started)
    jobs = [
        replace(job, overlays=overlays) if isinstance(job, _Job) else job
        for job in _jobs(files, source, images_dir, run_file, georefs, masks)
    ]
    return _store(
        jobs,
        store,
        source,
        lambda: run if run.ended else replace(run, ended=datetime.now(UTC)),
        progress,
        workers,
    )


def ingest_images(
    images: list[DotaImage],
    store: KnowledgeGraph,
    run: RunInfo,
    pictures: dict[str, Path] | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> IngestReport:
    """Store images already read (a detector's output) under `run.source`, with the run's
    provenance; `pictures` gives their picture files by image id."""
    iris.check_id(run.source, "source name")
    pictures = pictures or {}
    jobs = [
        _Job(run.source, None, image=image, picture=pictures.get(image.image_id))
        for image in images
    ]
    return _store(jobs, store, run.source, lambda: run, progress, workers)


def _store(
    jobs: list[_Job | Failure],
    store: KnowledgeGraph,
    source: str,
    run,
    progress: bool,
    workers: int | None,
) -> IngestReport:
    """Render the jobs in worker processes and stream them into the store as they come, the
    run's record (`run()`) last, then save the index."""
    started = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    report = IngestReport(source)
    report.failures += [j for j in jobs if isinstance(j, Failure)]
    jobs = [j for j in jobs if isinstance(j, _Job)]
    worlds: list[WorldEntities] = []
    pictures: dict[str, Path] = {}
    events: dict[str, EventImage] = {}
    index = None  # read before the first write (the file still matches the store's revision)

    def graphs(rendered: Iterator[_Rendered | Failure], bar: tqdm) -> Iterator[tuple]:
        nonlocal index
        for item in rendered:
            bar.update(1)
            if isinstance(item, Failure):
                report.failures.append(item)
                continue
            if index is None:
                index = load_index(store, progress)
            worlds.append(item.world)
            if item.picture:
                pictures[item.image_id] = Path(item.picture)
            if item.event is not None:
                events.setdefault(item.event.event, item.event)
            report.images += 1
            report.entities += item.entities
            report.triples += item.triples
            report.relations += item.relations
            report.empty += item.entities == 0
            report.zero_area += item.zero_area
            yield iris.image_graph(source, item.image_id), item.ntriples
        for event in events.values():  # described once, in a graph of its own
            text = rdf.event_ntriples(event)
            report.triples += text.count("\n")
            yield iris.event_graph(event.event), text
        if report.images:  # in the same bulk load: a second one would make the store compact
            run_triples = rdf.run_ntriples(run())
            report.triples += run_triples.count("\n")
            yield iris.run_graph(source), run_triples

    with tqdm(
        total=len(jobs), unit="image", desc="ingest", disable=not progress, mininterval=1.0
    ) as bar:
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(workers) as pool:
                store.put_graphs(graphs(_bounded_map(pool, _render, jobs, 8 * workers), bar))
        else:
            store.put_graphs(graphs(map(_render, jobs), bar))
    if report.images:  # else nothing went in: the store stays as it was, its run record too
        store.flush()
        save_index(store, index.replace(worlds, store.revision))
        record_pictures(store, pictures)
    report.seconds = time.perf_counter() - started
    return report


def _bounded_map(pool: ProcessPoolExecutor, fn, items: list, ahead: int) -> Iterator:
    """pool.map in order, with at most `ahead` items submitted and not yet taken, so that
    results do not pile up in memory while the store writes slower than the workers render."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
