"""Throughput of `rune detect` on 1024 x 1024 tiles: mmrotate's rotated RetinaNet (R50-FPN,
le90, the bundled config) with random weights, on a tile cut from the real DOTA picture P0706.

    python benchmarks/detect.py [--device cpu|cuda] [--tiles 8] [--batch 1 2] [--json out.json]

Random weights make the same computation as trained ones up to the number of boxes that pass
the score threshold: the backbone, neck and head cost the same, only NMS work differs. The
weights are the config's own initialisation (classification prior 0.01); the threshold 0.02 lets
about 0.1% of a tile's 2.9 million anchor-class pairs through to rotated NMS.
Each run goes through `detect()` as `rune detect` does (reading, tiling, batching, merging,
corner conversion); the model is loaded and warmed up once before timing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "rune_kg" / "data" / "sample" / "images" / "P0706.png"
CONFIG = "rotated_retinanet_obb_r50_fpn_1x_dota_le90"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tiles", type=int, default=8, help="tiles per timed run")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--score-thr", type=float, default=0.02)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    from rune_kg.detect import DetectOptions, detect
    from rune_kg.detect.model import random_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        checkpoint = random_checkpoint(CONFIG, tmp / "retinanet-random.pth")
        tiles = tmp / "tiles"
        tiles.mkdir()
        with Image.open(PICTURE) as picture:
            tile = picture.convert("RGB").crop((0, 0, 1024, 1024))
        for k in range(args.tiles):
            tile.save(tiles / f"tile{k:03d}.png")
        detect(
            [tiles / "tile000.png"],
            DetectOptions(CONFIG, checkpoint, args.device, args.score_thr),
            progress=False,
        )  # warm-up: first-call allocations, cuDNN autotuning
        rows = []
        for batch in args.batch:
            options = DetectOptions(CONFIG, checkpoint, args.device, args.score_thr, batch=batch)
            result = detect([tiles], options, progress=False)
            objects = sum(len(image.objects) for image in result.images)
            rows.append(
                {
                    "device": result.detector.device,
                    "batch": batch,
                    "tiles": result.tiles,
                    "seconds": round(result.seconds, 3),
                    "tiles_per_s": round(result.tiles / result.seconds, 3),
                    "s_per_tile": round(result.seconds / result.tiles, 3),
                    "objects_per_tile": round(objects / result.tiles, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        info = {
            "config": CONFIG,
            "score_thr": args.score_thr,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else None,
            "runs": rows,
        }
        if args.json:
            args.json.write_text(json.dumps(info, indent=2))
        print(json.dumps(info), file=sys.stderr)


if __name__ == "__main__":
    main()
