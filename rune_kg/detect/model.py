"""Loading an mmrotate detector: its config, its checkpoint's weights and class names, on a device.

mmrotate (0.3.4, with mmcv-full 1.x and mmdet 2.x; see scripts/install-detector.sh) is imported
here, when a detector is loaded, so the rest of rune-kg works without it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DetectError
from .corners import ANGLE_VERSIONS

INSTALL_HINT = (
    "install it with: bash scripts/install-detector.sh (see the README, 'Detect objects')"
)


@dataclass
class Detector:
    """A loaded model and what provenance records about it."""

    model: Any  # mmdet BaseDetector (torch.nn.Module), in eval mode on `device`
    config: Any  # mmcv.Config
    config_path: Path
    checkpoint: Path
    checkpoint_sha256: str
    classes: tuple[str, ...]
    angle_version: str
    device: str
    versions: dict[str, str]  # distribution -> version


def require_mmrotate() -> None:
    """Import mmrotate and its compiled operators, or raise DetectError with how to install them."""
    # mmcv 1.x warns on import that mmcv 2.0 renames its packages; nothing a user can act on.
    warnings.filterwarnings("ignore", message="On January 1, 2023, MMCV", category=UserWarning)
    # mmdet 2.x warns of its own renamed attributes while building two-stage models
    warnings.filterwarnings(
        "ignore", message="DeprecationWarning: ", category=UserWarning, module=r"mmdet\."
    )
    # torch logs "No CUDA runtime is found" when mmcv's ops import on a CPU machine;
    # --device checks that.
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    try:
        import mmcv  # noqa: F401
        import mmrotate  # noqa: F401  (registers the rotated detectors, heads and datasets)
        from mmcv.ops import nms_rotated  # noqa: F401  (the compiled operators)
    except ImportError as err:
        raise DetectError(f"mmrotate is not usable here ({err}); {INSTALL_HINT}") from None
    except AssertionError as err:  # mmrotate asserts its mmcv/mmdet version ranges on import
        raise DetectError(f"mmrotate refuses its dependencies: {err}; {INSTALL_HINT}") from None


def bundled_configs() -> Path:
    """The folder of model configs that the mmrotate package ships."""
    import mmrotate

    return Path(mmrotate.__file__).resolve().parent / ".mim" / "configs"


def resolve_config(config: str | Path) -> Path:
    """A config file path, or the name of one of mmrotate's bundled configs (.py optional)."""
    path = Path(config)
    if path.is_file():
        return path.resolve()
    name = path.name if path.suffix == ".py" else f"{path.name}.py"
    found = sorted(bundled_configs().rglob(name))
    if not found:
        raise DetectError(
            f"--config: {config} is neither a file nor one of mmrotate's bundled configs "
            f"(e.g. rotated_retinanet_obb_r50_fpn_1x_dota_le90; see {bundled_configs()})"
        )
    return found[0]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _angle_version(cfg) -> str:
    """The config's angle convention: its `angle_version`, else the box coder's `angle_range`."""
    version = cfg.get("angle_version")
    if version is None:
        stack = [cfg.model]
        while stack and version is None:
            node = stack.pop()
            if isinstance(node, dict):
                version = node.get("angle_range")
                stack += list(node.values())
            elif isinstance(node, (list, tuple)):
                stack += list(node)
    version = version or "oc"  # mmrotate's own default
    if version not in ANGLE_VERSIONS:
        raise DetectError(
            f"the config's angle version {version!r} is not one of {', '.join(ANGLE_VERSIONS)}"
        )
    return version


def _dataset_classes(cfg) -> tuple[str, ...] | None:
    """Class names from the config's test dataset: its `classes`, else its type's CLASSES."""
    from mmrotate.datasets.builder import ROTATED_DATASETS

    test = cfg.get("data", {}).get("test", {})
    if test.get("classes"):
        return tuple(test["classes"])
    dataset = ROTATED_DATASETS.get(test.get("type", "")) if test.get("type") else None
    return (
        tuple(dataset.CLASSES)
        if dataset is not None and getattr(dataset, "CLASSES", None)
        else None
    )


def _device(device: str) -> str:
    import torch
    from mmcv.ops import get_compiling_cuda_version

    if device == "cpu":
        return device
    if not device.startswith("cuda"):
        raise DetectError(f"--device must be cpu, cuda or cuda:N, not {device!r}")
    if not torch.cuda.is_available():
        raise DetectError(f"--device {device}: torch sees no CUDA device here")
    if get_compiling_cuda_version() == "not available":
        raise DetectError(
            f"--device {device}: mmcv-full was built without CUDA operators; rebuild it on a "
            "machine with nvcc (FORCE_CUDA=1 bash scripts/install-detector.sh)"
        )
    return "cuda:0" if device == "cuda" else device


def _versions() -> dict[str, str]:
    versions = {}
    for name in ("rune-kg", "mmrotate", "mmdet", "mmcv-full", "torch"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def _lower_score_thr(test_cfg, score_thr: float | None) -> None:
    """Lower the test-time score threshold of a one-stage model (test_cfg.score_thr) or of a
    two-stage model's second stage (test_cfg.rcnn.score_thr) to `score_thr` where it is higher."""
    if score_thr is None or test_cfg is None:
        return
    for stage in (test_cfg, test_cfg.get("rcnn")):
        if stage is not None and stage.get("score_thr", 0.0) > score_thr:
            stage.score_thr = score_thr


def load_detector(
    config: str | Path, checkpoint: str | Path, device: str = "cpu", score_thr: float | None = None
) -> Detector:
    """Build the model of `config`, load `checkpoint` into it and put it on `device`.

    `score_thr` lowers the model's own test-time score threshold when it is below it, so that
    `rune detect --score-thr` is the one threshold a user sets.
    """
    require_mmrotate()
    import mmcv
    from mmcv.runner import load_checkpoint
    from mmrotate.models import build_detector

    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise DetectError(f"--checkpoint: no such file: {checkpoint}")
    device = _device(device)
    config_path = resolve_config(config)
    try:
        cfg = mmcv.Config.fromfile(str(config_path))
    except Exception as err:  # mmcv raises whatever the config's Python raises
        raise DetectError(f"--config {config_path}: {err}") from None
    cfg.model.pop("pretrained", None)
    cfg.model.get("backbone", {}).pop("init_cfg", None)  # no download of ImageNet weights
    cfg.model.train_cfg = None
    _lower_score_thr(cfg.model.get("test_cfg") or cfg.get("test_cfg"), score_thr)
    try:
        model = build_detector(cfg.model, test_cfg=cfg.get("test_cfg"))
        meta = load_checkpoint(model, str(checkpoint), map_location="cpu", logger="silent").get(
            "meta", {}
        )
    except (KeyError, RuntimeError, OSError, ValueError) as err:
        raise DetectError(f"cannot load {checkpoint} into {config_path.name}: {err}") from None
    classes = tuple(meta.get("CLASSES") or _dataset_classes(cfg) or ())
    if not classes:
        raise DetectError(
            f"neither {checkpoint.name} (meta CLASSES) nor {config_path.name} (data.test) names "
            "the classes"
        )
    model.CLASSES = classes
    model.cfg = cfg
    model.to(device).eval()
    return Detector(
        model,
        cfg,
        config_path,
        checkpoint.resolve(),
        sha256(checkpoint),
        classes,
        _angle_version(cfg),
        device,
        _versions(),
    )


def random_checkpoint(
    config: str | Path, path: str | Path, classes: tuple[str, ...] | None = None, seed: int = 0
) -> Path:
    """Save a checkpoint of the config's model with freshly initialised weights (the config's own
    initialisation, without the ImageNet backbone): to check an install, and for tests and
    benchmarks, since no trained weights can be downloaded here. `classes` go into its meta."""
    require_mmrotate()
    import mmcv
    import torch
    from mmcv.runner import save_checkpoint
    from mmrotate.models import build_detector

    cfg = mmcv.Config.fromfile(str(resolve_config(config)))
    cfg.model.get("backbone", {}).pop("init_cfg", None)
    torch.manual_seed(seed)
    model = build_detector(cfg.model)
    logging.getLogger("mmcv").setLevel(logging.WARNING)  # init_weights logs every parameter
    model.init_weights()
    save_checkpoint(
        model, str(path), meta={"CLASSES": tuple(classes or _dataset_classes(cfg) or ())}
    )
    return Path(path)
