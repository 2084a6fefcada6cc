"""The detection stage's loop: picture files -> tiles -> the detector -> merged, mapped objects.

DOTA practice for large images: overlapping square tiles (1024 px, 200 px overlap, mmrotate's
`slide_window`), each run through the model's own test pipeline, in batches that may mix
tiles of several images; an image's tile results are shifted back and merged per class with
rotated NMS (mmrotate's `merge_results`). Boxes whose centre falls outside the picture (in a
tile's padding) are dropped, the rest are mapped to ontology classes and turned into corners.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from tqdm import tqdm

from ..errors import DetectError
from ..ingest.records import PICTURE_SUFFIXES, DotaImage, DotaObject, Failure, RunInfo
from ..kg import iris
from .classes import ClassMapping, class_mapping
from .corners import obb_to_corners
from .model import Detector, load_detector


@dataclass(frozen=True)
class DetectOptions:
    config: str | Path  # a config file, or the name of one bundled with mmrotate
    checkpoint: str | Path
    device: str = "cpu"
    score_thr: float = 0.3
    merge_iou: float = 0.1  # rotated-NMS IoU for merging tiles (mmrotate's huge-image default)
    tile: int = 1024
    overlap: int = 200
    batch: int = 1  # tiles per forward pass (on 2 CPU cores 1 is fastest; more can pay on a GPU)
    classes: str | None = None  # a mapping file or bundled mapping name (detect/mappings)


@dataclass
class Detections:
    """The detected images, the pictures they came from, what failed, and the run's provenance."""

    images: list[DotaImage] = field(default_factory=list)
    pictures: dict[str, Path] = field(default_factory=dict)  # image id -> picture file
    failures: list[Failure] = field(default_factory=list)
    tiles: int = 0
    seconds: float = 0.0
    detector: Detector | None = None
    mapping: ClassMapping | None = None
    options: DetectOptions | None = None
    started: datetime | None = None
    ended: datetime | None = None

    def run_info(self, source: str) -> RunInfo:
        """The detection run as the graph records it (rune:DetectionRun, PROV-O times)."""
        d, o = self.detector, self.options
        name = type(d.model).__name__
        extra = [
            ("modelConfig", str(d.config_path)),
            ("checkpoint", d.checkpoint.name),
            ("checkpointSha256", d.checkpoint_sha256),
            ("scoreThreshold", float(o.score_thr)),
            ("mergeIouThreshold", float(o.merge_iou)),
            ("tileSize", int(o.tile)),
            ("tileOverlap", int(o.overlap)),
            ("angleVersion", d.angle_version),
            ("device", d.device),
            ("classMappingSource", self.mapping.source),
            *(("softwareVersion", f"{pkg} {version}") for pkg, version in d.versions.items()),
        ]
        return RunInfo(
            source,
            f"mmrotate {name} ({d.config_path.stem})",
            self.started,
            self.ended,
            tuple(extra),
            tuple(self.mapping.pairs()),
        )


def picture_files(paths: Iterable[Path | str]) -> list[Path]:
    """Picture files named directly, or found in folders (not recursively)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(
                p for p in path.iterdir() if p.suffix.lower() in PICTURE_SUFFIXES and p.is_file()
            )
        elif path.is_file():
            files.append(path)
        else:
            raise DetectError(f"no such file or folder: {path}")
    if not files:
        raise DetectError(
            "no picture files ("
            + ", ".join(PICTURE_SUFFIXES)
            + ") in "
            + ", ".join(map(str, paths))
        )
    return files


def _windows(width: int, height: int, options: DetectOptions) -> np.ndarray:
    from mmrotate.core import slide_window

    return slide_window(width, height, [options.tile], [options.tile - options.overlap])


def _test_pipeline(detector: Detector):
    from mmdet.datasets import replace_ImageToTensor
    from mmdet.datasets.pipelines import Compose

    cfg = detector.config.copy()
    cfg.data.test.pipeline[0].type = "LoadPatchFromImage"
    return Compose(replace_ImageToTensor(cfg.data.test.pipeline))


def _forward(detector: Detector, pipeline, patches: list[tuple[np.ndarray, np.ndarray]]) -> list:
    """Per-class (n, 6) arrays [cx, cy, w, h, angle, score] for each (picture, window) patch."""
    import torch
    from mmcv.parallel import collate, scatter

    data = collate(
        [pipeline({"img": img, "win": win.tolist()}) for img, win in patches],
        samples_per_gpu=len(patches),
    )
    data["img_metas"] = [metas.data[0] for metas in data["img_metas"]]
    data["img"] = [img.data[0] for img in data["img"]]
    if detector.device != "cpu":
        data = scatter(data, [torch.device(detector.device)])[0]
    with torch.no_grad():
        return detector.model(return_loss=False, rescale=True, **data)


def _objects(
    merged: list[np.ndarray],
    width: int,
    height: int,
    detector: Detector,
    mapping: ClassMapping,
    options: DetectOptions,
) -> list[DotaObject]:
    objects = []
    for k, dets in enumerate(merged):
        target = mapping.targets[k]
        if target is None or len(dets) == 0:
            continue
        dets = dets[
            (dets[:, 5] >= options.score_thr)
            & (dets[:, 0] >= 0)
            & (dets[:, 0] < width)
            & (dets[:, 1] >= 0)
            & (dets[:, 1] < height)
        ]
        corners = obb_to_corners(dets[:, :5], detector.angle_version)
        objects += [
            DotaObject(target, tuple(c), float(min(score, 1.0)))
            for c, score in zip(corners.tolist(), dets[:, 5].tolist())
        ]
    return objects


def _check(options: DetectOptions) -> None:
    if not 0.0 < options.score_thr <= 1.0:
        raise DetectError(f"--score-thr must be in (0, 1], got {options.score_thr}")
    if not 0.0 < options.merge_iou <= 1.0:
        raise DetectError(f"--merge-iou must be in (0, 1], got {options.merge_iou}")
    if options.tile < 32 or not 0 <= options.overlap < options.tile:
        raise DetectError(
            f"--tile must be at least 32 and --overlap in [0, tile), got {options.tile}, "
            f"{options.overlap}"
        )
    if options.batch < 1:
        raise DetectError(f"--batch must be at least 1, got {options.batch}")


def detect(
    paths: Iterable[Path | str], options: DetectOptions, progress: bool = True
) -> Detections:
    """Run the detector on picture files (or folders of them): one DotaImage per picture."""
    _check(options)
    files = picture_files(paths)
    result = Detections(options=options, started=datetime.now(UTC))
    detector = load_detector(options.config, options.checkpoint, options.device, options.score_thr)
    import mmcv  # importable now: load_detector checked mmrotate and its dependencies
    from mmrotate.core import merge_results

    mapping = class_mapping(detector.classes, options.classes)
    result.detector, result.mapping = detector, mapping
    pipeline = _test_pipeline(detector)
    clock = time.perf_counter()  # `seconds` counts reading and detecting, not loading the model

    planned: list[tuple[Path, int, int, np.ndarray]] = []  # file, width, height, windows
    seen: set[str] = set()
    for path in files:
        try:
            iris.check_id(path.stem, "image id (the file name)")
            if path.stem in seen:
                raise iris.IdentifierError(
                    f"another picture already has the image id {path.stem!r}"
                )
            seen.add(path.stem)
            with PILImage.open(path) as picture:
                width, height = picture.size
        except (OSError, iris.IdentifierError) as err:
            result.failures.append(Failure(str(path), str(err)))
            continue
        planned.append((path, width, height, _windows(width, height, options)))

    pending: list[tuple[np.ndarray, np.ndarray]] = []
    owners: list[int] = []  # index into `planned` of each pending patch
    tile_results: dict[int, list] = {}

    def finish(k: int) -> None:
        path, width, height, windows = planned[k]
        merged = merge_results(
            tile_results.pop(k),
            windows[:, :2],
            img_shape=(width, height),
            iou_thr=options.merge_iou,
            device=detector.device,
        )
        objects = _objects(merged, width, height, detector, mapping, options)
        result.images.append(DotaImage(path.stem, str(path), tuple(objects)))
        result.pictures[path.stem] = path.resolve()

    def flush() -> None:
        outputs = _forward(detector, pipeline, pending)
        for k, output in zip(owners, outputs):
            tile_results.setdefault(k, []).append(output)
            if len(tile_results[k]) == len(planned[k][3]):
                finish(k)
        bar.update(len(pending))
        result.tiles += len(pending)
        pending.clear()
        owners.clear()

    total = sum(len(p[3]) for p in planned)
    with tqdm(total=total, unit="tile", desc="detect", disable=not progress) as bar:
        for k, (path, _, _, windows) in enumerate(planned):
            try:
                picture = mmcv.imread(str(path))
            except (OSError, ValueError) as err:
                picture, reason = None, str(err)
            else:
                reason = "cannot decode the picture"
            if picture is None:
                result.failures.append(Failure(str(path), reason))
                bar.total -= len(windows)
                continue
            for window in windows:
                pending.append((picture, window))
                owners.append(k)
                if len(pending) >= options.batch:
                    flush()
        if pending:
            flush()
    result.seconds = time.perf_counter() - clock
    result.ended = datetime.now(UTC)
    return result
