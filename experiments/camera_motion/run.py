"""Moving cameras on generated scenes whose true camera is known.

For each held-out scene (split=test, camera motion on), three figures:
  1. the homography error of omnigame's camera estimate (RMS pixels over the frame, per frame,
     then the RMS over frames), against the generator's true camera;
  2. `omnigame.decompose` with default settings on the moving-camera video (camera=auto):
     effect IoU and reconstruction PSNR on the original frames;
  3. the same on the same scene filmed by a static camera (the generator's reference view),
     and, with --before, on the moving video decomposed as if the camera were static (what
     omnigame did before it handled camera motion).
The mask-only matte's IoU is the floor beside each.

    python experiments/camera_motion/run.py --out experiments/camera_motion/results \
        --seeds 0 1 2 3 [--shard 0/2] [--before] [--homography-only --split test|train]
    python experiments/camera_motion/run.py --out experiments/camera_motion/results --summary
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import omnigame
from omnigame.camera.estimate import estimate_camera
from omnigame.camera.homography import transfer_error
from omnigame.evaluation.metrics import effect_iou_objects, psnr
from omnigame.io.files import write_json, write_text
from omnigame.io.layers import Layers
from omnigame.io.video import Video
from omnigame.synthetic.config import SceneConfig
from omnigame.synthetic.scene import generate_scene

CONFIG = SceneConfig(split="test", height=128, width=224, num_frames=24, camera_motion=True)


def true_camera(scene) -> np.ndarray:
    """(N, 3, 3) first-frame pixel -> frame t pixel, from the generator's frame -> canvas maps."""
    M = np.zeros((len(scene.transforms), 3, 3))
    M[:, :2], M[:, 2, 2] = scene.transforms, 1.0
    return np.linalg.inv(M) @ M[0]


def homography_error(scene) -> dict:
    began = time.perf_counter()
    path = estimate_camera(scene.camera.frames, scene.camera.masks, progress=False)
    seconds = time.perf_counter() - began
    err = transfer_error(path.homographies, true_camera(scene), (CONFIG.height, CONFIG.width))
    return {"rms_px": float(np.sqrt((err ** 2).mean())), "max_px": float(err.max()),
            "motion_px": path.motion_px(), "seconds": seconds}


def floor_iou(view, background) -> float:
    masks = view.masks[..., None]
    rgba = np.concatenate([np.where(masks, view.frames[None], 0),
                           masks.astype(np.uint8) * 255], -1).astype(np.uint8)
    return effect_iou_objects(rgba, background, view.effect_masks)["mean"]


def decomposed(view, background, order, **options) -> dict:
    video = Video(view.frames, view.masks, order)
    began = time.perf_counter()
    layers: Layers = omnigame.decompose(video, progress=False, **options)
    return {"iou": effect_iou_objects(layers.rgba, background, view.effect_masks)["mean"],
            "floor": floor_iou(view, background),
            "psnr": psnr(layers.reconstruction, view.frames),
            "seconds": time.perf_counter() - began,
            "camera": layers.metrics.get("camera"), "model_size": layers.metrics["model_size"]}


def run_scene(seed: int, before: bool, homography_only: bool) -> dict:
    scene = generate_scene(CONFIG, seed)
    row = {"seed": seed, "objects": scene.num_objects, "homography": homography_error(scene)}
    if homography_only:
        return row
    row["moving"] = decomposed(scene.camera, scene.camera.background, scene.order)
    # the reference view, rendered in full: the same objects and plate, a static camera
    row["static"] = decomposed(scene.stable, scene.plate, scene.order)
    if before:
        row["moving_as_static"] = decomposed(scene.camera, scene.camera.background,
                                             scene.order, **{"input.camera": "static"})
    return row


def summarise(out: Path) -> str:
    """A markdown table of every result in `out` (homography errors; decompositions)."""
    lines = ["| split | scenes | homography error RMS px: mean | median | max | scenes > 1 px "
             "| seconds / scene |", "|---|---|---|---|---|---|---|"]
    for split in ("test", "train"):
        rows = [json.loads(f.read_text())["homography"]
                for f in sorted(out.glob(f"homography_{split}_*.json"))]
        if rows:
            e = np.array([r["rms_px"] for r in rows])
            lines.append(f"| {split} | {len(e)} | {e.mean():.3f} | {np.median(e):.3f} | "
                         f"{e.max():.2f} | {(e > 1).sum()} | "
                         f"{np.mean([r['seconds'] for r in rows]):.1f} |")
    scenes = [json.loads(f.read_text()) for f in sorted(out.glob("scene_*.json"))]
    if scenes:
        lines += ["", "| seed | objects | homography px | video | effect IoU | floor | PSNR dB "
                      "| seconds | model size |", "|---|---|---|---|---|---|---|---|---|"]
    for row in scenes:
        for key in ("static", "moving", "moving_as_static"):
            if key in row:
                r = row[key]
                lines.append(f"| {row['seed']} | {row['objects']} | "
                             f"{row['homography']['rms_px']:.2f} | {key} | {r['iou']:.3f} | "
                             f"{r['floor']:.3f} | {r['psnr']:.2f} | {r['seconds']:.0f} | "
                             f"{r['model_size'][0]}x{r['model_size'][1]} |")
    for key in ("static", "moving", "moving_as_static"):
        got = [row[key] for row in scenes if key in row]
        if got:
            lines.append(f"| mean | | | {key} | {np.mean([r['iou'] for r in got]):.3f} | "
                         f"{np.mean([r['floor'] for r in got]):.3f} | "
                         f"{np.mean([r['psnr'] for r in got]):.2f} | "
                         f"{np.mean([r['seconds'] for r in got]):.0f} | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    p.add_argument("--shard", default="0/1", help="i/n: this process takes every n-th seed")
    p.add_argument("--before", action="store_true")
    p.add_argument("--homography-only", action="store_true")
    p.add_argument("--split", default="test", help="the generator's split: test or train")
    p.add_argument("--summary", action="store_true", help="only write out/results.md")
    args = p.parse_args()
    if args.summary:
        write_text(args.out / "results.md", summarise(args.out))
        return
    global CONFIG
    CONFIG = replace(CONFIG, split=args.split)
    i, n = (int(v) for v in args.shard.split("/"))
    kind = "homography" if args.homography_only else "scene"
    for seed in args.seeds[i::n]:
        target = args.out / f"{kind}_{args.split}_{seed:03d}.json"
        if target.exists():
            continue  # finished earlier: a rerun picks up where it stopped
        row = run_scene(seed, args.before, args.homography_only)
        print(json.dumps(row), flush=True)
        write_json(target, row)


if __name__ == "__main__":
    sys.exit(main())
