"""Score one decomposition setting on the dev benchmark (and optionally synthetic test scenes).

    OMP_NUM_THREADS=1 python experiments/dev_benchmark/score.py --out runs/devb-zeroshot steps=0
    OMP_NUM_THREADS=1 python experiments/dev_benchmark/score.py --out runs/devb-floor --floor-only
    ... score.py --out runs/x --synthetic 4 init=scratch steps=300 size=[64,112]

key=value options go to `omnigame.decompose` (see omnigame/api.py make_config; values are read
as YAML: 0, 5e-4, [64,112], true). Per scene: effect IoU (the reference protocol, as
`omnigame.evaluation.evaluate.ground_truth_metrics` computes it), per effect kind, association,
reconstruction PSNR and wall seconds, each beside the floor: the mask-only matte (input colours
inside the input mask, alpha = mask), i.e. a decomposition that ignores effects.
Results are saved after every scene; a re-run skips scored scenes and refuses other settings.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import omnigame  # noqa: E402
import omnigame.api  # noqa: E402
from omnigame.evaluation.evaluate import ground_truth_metrics, load_ground_truth  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy, effect_iou_objects, psnr  # noqa: E402
from omnigame.io.files import write_text  # noqa: E402
from omnigame.io.layers import Layers, over_checkerboard  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402
from omnigame.io.sheets import contact_sheet, pick_frames  # noqa: E402
from omnigame.training.precision import uses_bf16  # noqa: E402
from tables import markdown  # noqa: E402

SYNTH_DIR = "/work/data/synth-test-64x112"
# the synthetic test split of experiments/synthetic_eval (README): seed 1, test split, 64x112
SYNTH_SETTINGS = dict(seed=1, height=64, width=112, split="test")


def effect_kinds(manifest: dict, count: int) -> list:
    """Per object 'shadow' | 'reflection' | 'trail' | 'none': the dev manifest says it directly;
    synthetic manifests list each object's effects (a reflection or shadow is the main one)."""
    if "effect_kinds" in manifest:
        return list(manifest["effect_kinds"])
    kinds = []
    for obj in manifest.get("objects", [])[:count]:
        eff = obj.get("effects", {})
        kinds.append(next((k for k in ("reflection", "shadow", "trail") if k in eff), "none"))
    return kinds + ["none"] * (count - len(kinds))


def floor_layers(video, gt_plate) -> Layers:
    """The mask-only matte: each object's input colours inside its mask, alpha = the mask."""
    masks = video.masks[..., None]
    rgba = np.concatenate([np.where(masks, video.frames[None], 0),
                           masks.astype(np.uint8) * 255], -1).astype(np.uint8)
    bg = np.ascontiguousarray(np.broadcast_to(gt_plate, video.frames.shape))
    layers = Layers(rgba, bg, np.empty_like(video.frames), video.order, list(video.object_names))
    layers.reconstruction = layers.composite()
    return layers


def floor_metrics(video, gt) -> dict:
    """Effect IoU, association and reconstruction PSNR of the mask-only matte."""
    layers = floor_layers(video, gt.background)
    iou = effect_iou_objects(layers.rgba, gt.background, gt.effect_masks)
    assoc = association_accuracy(layers.rgba[..., 3], gt.layers[..., 3], video.masks)
    return {"iou": iou["per_object"], "association": assoc["per_object"],
            "psnr": psnr(layers.reconstruction, video.frames)}


class RawCapture:
    """While active, keeps what `decompose` hands to `build_layers`: the model-size layers
    before any post-processing, the plate, how they reach the frames (a canvas for a moving
    camera) and the options, so that a change of post-processing can be scored on them without
    training again (rescore.py)."""

    def __init__(self):
        self.saved = None

    def __enter__(self):
        self.original = omnigame.api.build_layers

        def capture(rgba_small, video, background, detail, sharpen=True, **kwargs):
            # float32 as it is: post-processing thresholds turn float16 rounding into changes
            self.saved = {"rgba_small": rgba_small.detach().clone(), "background": background,
                          "detail": detail, "sharpen": sharpen, **kwargs}
            return self.original(rgba_small, video, background, detail, sharpen, **kwargs)

        omnigame.api.build_layers = capture
        return self

    def __exit__(self, *exc):
        omnigame.api.build_layers = self.original


def run_metrics(video, gt, options: dict):
    """Decompose with `options`; returns (metrics, layers, raw: RawCapture.saved)."""
    began = time.perf_counter()
    with RawCapture() as raw:
        layers = omnigame.decompose(video, **options)
    seconds = time.perf_counter() - began
    m = ground_truth_metrics(layers, video, gt)
    return {"iou": m["effect_iou"]["per_object"],
            "association": m["association_accuracy"]["per_object"],
            "alpha_error": m["alpha_error"]["mean"],
            "psnr": psnr(layers.reconstruction, video.frames), "seconds": seconds}, layers, raw.saved


def score_scene(folder: Path, options: dict, floor_only: bool, sheets: Path, key: str,
                true_background: bool = False) -> dict:
    video = read_input(folder)
    if not true_background:
        # a user's video comes without its clean plate: decompose estimates it (the median)
        video.background = None
    gt = load_ground_truth(str(folder))
    manifest = json.loads((folder / "manifest.json").read_text())
    row = {"folder": str(folder), "objects": video.num_objects,
           "kinds": effect_kinds(manifest, video.num_objects), "floor": floor_metrics(video, gt)}
    if not floor_only:
        row["ours"], layers, raw = run_metrics(video, gt, options)
        result_sheet(sheets / f"{key.replace('/', '__')}.png", video.frames, gt.layers,
                     layers.rgba)
        # the layers themselves, so that a change of metric never needs a re-run
        store = sheets.parent / "layers"
        store.mkdir(exist_ok=True)
        np.savez_compressed(store / f"{key.replace('/', '__')}.npz", rgba=layers.rgba,
                            background=layers.background)
        if raw is not None:  # the model's own output, for rescore.py
            torch.save(raw, store / f"raw__{key.replace('/', '__')}.pt")
    return row


def result_sheet(path: Path, frames, true_layers, pred_layers, count: int = 3) -> None:
    """Per object a row: for a few frames, input | true layer | our layer (layers over a
    checkerboard), as a palette PNG (kept in the repo, so small).

    frames (N, H, W, 3); true_layers, pred_layers (L, N, H, W, 4) uint8."""
    rows = []
    for true, pred in zip(true_layers, pred_layers):
        rows.append([tile for t in pick_frames(len(frames), count)
                     for tile in (frames[t], over_checkerboard(true[t]), over_checkerboard(pred[t]))])
    contact_sheet(rows, path, colours=256)


def synthetic_scenes(count: int, root: Path) -> list:
    """The first `count` synthetic test scenes, generated (deterministically) if missing."""
    if count <= 0:
        return []
    have = sorted(d for d in root.iterdir() if (d / "gt").is_dir()) if root.is_dir() else []
    if len(have) < count:
        from omnigame.synthetic import SceneConfig, generate_dataset
        s = SYNTH_SETTINGS
        cfg = SceneConfig(height=s["height"], width=s["width"], split=s["split"])
        print(f"generating {count} synthetic test scenes into {root}", flush=True)
        # into a private folder, then each scene moved in whole: shards started together
        # each generate the same (deterministic) scenes, and the first to finish one wins
        tmp = root.parent / f".{root.name}.{os.getpid()}"
        generate_dataset(cfg, tmp, count, seed=s["seed"], workers=1, overwrite=True, sheet_scenes=0)
        root.mkdir(parents=True, exist_ok=True)
        for item in sorted(tmp.iterdir()):
            try:
                item.rename(root / item.name)
            except OSError:  # another shard moved it in first
                pass
        shutil.rmtree(tmp)
        have = sorted(d for d in root.iterdir() if (d / "gt").is_dir())
    return have[:count]


def parse_options(pairs) -> dict:
    """['steps=0', 'size=[64,112]'] -> {'steps': 0, 'size': [64, 112]} (values read as YAML)."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"option '{pair}' is not key=value")
        key, value = pair.split("=", 1)
        out[key] = yaml.safe_load(value)
    return out


def load(out: Path, meta: dict) -> dict:
    """Scores already in `out`; refuses a folder scored with other settings."""
    path = out / "results.json"
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    if old["meta"] != meta:
        raise SystemExit(f"{path} was scored with other settings {old['meta']}, not {meta}; "
                         f"choose another --out")
    return old["scenes"]


def save(out: Path, meta: dict, scenes: dict) -> dict:
    """results.json (atomically) and results.md, after every scene.

    Shards of one run (--shard) share the folder: under a lock, scenes another shard saved
    meanwhile are merged in. Returns the merged scenes.
    """
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        scenes = {**load(out, meta), **scenes}
        write_text(out / "results.json", json.dumps(
            {"meta": meta, "scenes": scenes, "means": markdown(scenes, meta)[1]}, indent=1))
        write_text(out / "results.md", markdown(scenes, meta)[0])
    return scenes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("options", nargs="*", help="decompose options as key=value")
    p.add_argument("--out", required=True, help="folder for results.json, results.md, sheets/, layers/")
    p.add_argument("--scenes", default="/work/data/dev_benchmark", help="built dev benchmark")
    p.add_argument("--synthetic", type=int, default=0, help="also score the first N synthetic test scenes")
    p.add_argument("--synthetic-dir", default=SYNTH_DIR)
    p.add_argument("--floor-only", action="store_true", help="only the mask-only floor (fast)")
    p.add_argument("--limit", type=int, default=None, help="only the first K dev scenes")
    p.add_argument("--only", default=None,
                   help="comma-separated dev scene names (e.g. 00_shadow_1_boy_on_kitesand)")
    p.add_argument("--true-background", action="store_true",
                   help="give decompose the scenes' clean plate (default: it estimates it, as "
                        "for a user's video)")
    p.add_argument("--shard", default="0/1",
                   help="i/n: score every n-th scene from the i-th (run n processes in parallel)")
    args = p.parse_args()
    shard, shards = map(int, args.shard.split("/"))
    options = {"progress": False, **parse_options(args.options)}
    meta = {"options": {} if args.floor_only else options, "floor_only": args.floor_only,
            "true_background": args.true_background}
    if not args.floor_only:  # what train.precision came to on this machine (auto: its processor)
        device = torch.device(str(options.get("device", "cpu"))).type
        meta["bf16_steps"] = uses_bf16(str(options.get("train.precision", "fp32")), device)
    out = Path(args.out)
    (out / "sheets").mkdir(parents=True, exist_ok=True)
    scenes = load(out, meta)
    dev = sorted(d for d in Path(args.scenes).iterdir() if (d / "gt").is_dir())[:args.limit]
    if args.only:
        wanted = args.only.split(",")
        if unknown := set(wanted) - {d.name for d in dev}:
            raise SystemExit(f"--only: no such scenes {sorted(unknown)} in {args.scenes}")
        dev = [d for d in dev if d.name in wanted]
    todo = [(f"dev/{d.name}", d) for d in dev]
    todo += [(f"synth/{d.name}", d) for d in synthetic_scenes(args.synthetic, Path(args.synthetic_dir))]
    for key, folder in todo[shard::shards]:
        if key in scenes:
            continue
        began = time.perf_counter()
        scenes[key] = score_scene(folder, options, args.floor_only, out / "sheets", key,
                                  args.true_background)
        scenes = save(out, meta, scenes)
        ours = scenes[key].get("ours", {})
        print(f"{key}: floor IoU {np.nanmean(scenes[key]['floor']['iou']):.3f}"
              + (f", ours {np.nanmean(ours['iou']):.3f}" if ours else "")
              + f" ({time.perf_counter() - began:.1f} s)", flush=True)
    print(markdown(scenes, meta)[0])


if __name__ == "__main__":
    main()
