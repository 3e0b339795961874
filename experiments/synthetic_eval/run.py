"""Effect IoU on the held-out synthetic test split, against test-time-training steps.

For each test scene and each start (random weights, or a pretrained checkpoint), test-time
train in segments and, at each listed step count (0 = zero-shot), decode every frame and score
the layers against the ground truth (reference effect IoU, association accuracy, alpha error,
reconstruction PSNR). Writes results JSON, a markdown table and a plot of IoU vs steps.

    python experiments/synthetic_eval/run.py --scenes data/synth-test-64x112 --count 4 \
        --steps 0 50 100 200 --init scratch pretrained --out experiments/synthetic_eval/results
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from omnigame.api import initial_model
from omnigame.data.clips import ClipDataset
from omnigame.config import DecomposeConfig, MaskScheduleConfig, ModelConfig
from omnigame.data.prepare import prepare
from omnigame.evaluation.evaluate import ground_truth_metrics, load_ground_truth
from omnigame.inference import infer_layers
from omnigame.evaluation.metrics import psnr
from omnigame.evaluation.report import save_figure
from omnigame.io.files import write_text
from omnigame.io.result_writer import build_layers
from omnigame.io.readers import read_input
from omnigame.training.loop import train


def score(model, prepared, video, scene: Path, cfg: DecomposeConfig) -> dict:
    rgba = infer_layers(model, prepared, cfg.train.clip, cfg.batch_frames, progress=False)
    layers = build_layers(rgba, video, video.background, detail=False)
    gt = ground_truth_metrics(layers, video, load_ground_truth(str(scene)))
    return {"effect_iou": gt["effect_iou"]["mean"],
            "association": float(np.nanmean(gt["association_accuracy"]["per_object"]))
            if isinstance(gt["association_accuracy"], dict) else gt["association_accuracy"],
            "alpha_error": gt["alpha_error"]["mean"],
            "psnr": psnr(layers.reconstruction, video.frames)}


def curve(scene: Path, init: str, steps, cfg: DecomposeConfig, work: Path) -> list:
    """Scores after each step count in `steps`, training one model in segments."""
    video = read_input(scene)
    size = tuple(cfg.input.size)
    prepared = prepare(video, video.background, size)
    torch.manual_seed(cfg.train.seed)
    model = initial_model(init, cfg.model, size)
    data = ClipDataset([prepared], cfg.train.clip, size, cfg.train.seed, cfg.train.crop_prob)
    rows, began = [], time.perf_counter()
    for s in steps:
        if s > 0:
            train(model, data, replace(cfg.train, steps=s), work, "ttt")
        rows.append({"step": s, "seconds": round(time.perf_counter() - began, 1),
                     **score(model, prepared, video, scene, cfg)})
        print(scene.name, init, rows[-1], flush=True)
    return rows


def make_config(args) -> DecomposeConfig:
    cfg = DecomposeConfig()
    last = max(args.steps)
    # Absolute decay points, so that every segment follows the schedule of the full run.
    mask = MaskScheduleConfig(initial=0.1, at_steps=[int(0.1 * last), int(0.2 * last)],
                              at_fractions=[])
    train_cfg = replace(cfg.train, batch_size=args.batch_size, progress=False,
                        checkpoint_every=10 ** 9, loss=replace(cfg.train.loss, mask=mask))
    return replace(cfg, train=train_cfg, input=replace(cfg.input, size=list(args.size)),
                   model=replace(ModelConfig(), image_size=list(args.size)))


def summarise(results: dict, steps) -> str:
    lines = ["| start | scenes | " + " | ".join(f"IoU @{s}" for s in steps) + " | assoc @last | "
             "PSNR @last | seconds @last |", "|---" * (len(steps) + 5) + "|"]
    for init, per_scene in results.items():
        mean = lambda key, i: np.nanmean([rows[i][key] for rows in per_scene.values()])
        ious = " | ".join(f"{mean('effect_iou', i):.3f}" for i in range(len(steps)))
        lines.append(f"| {init} | {len(per_scene)} | {ious} | {mean('association', -1):.3f} | "
                     f"{mean('psnr', -1):.2f} | {mean('seconds', -1):.0f} |")
    return "\n".join(lines)


def plot(results: dict, steps, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for init, per_scene in results.items():
        ious = np.nanmean([[r["effect_iou"] for r in rows] for rows in per_scene.values()], 0)
        ax.plot(steps, ious, marker="o", label=f"{init} ({len(per_scene)} scenes)")
    ax.set_xlabel("test-time training steps")
    ax.set_ylabel("effect IoU (mean over scenes)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenes", required=True, help="folder of test scene folders (with gt/)")
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--first", type=int, default=0, help="index of the first scene to use")
    p.add_argument("--steps", type=int, nargs="+", default=[0, 50, 100, 200])
    p.add_argument("--init", nargs="+", default=["scratch"],
                   help="scratch, pretrained, or checkpoint paths")
    p.add_argument("--size", type=int, nargs=2, default=[64, 112])
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--out", default="experiments/synthetic_eval/results")
    args = p.parse_args()
    scenes = sorted(d for d in Path(args.scenes).iterdir() if (d / "gt").is_dir())
    scenes = scenes[args.first:args.first + args.count]
    cfg, out = make_config(args), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"steps": args.steps, "size": args.size, "batch_size": args.batch_size,
            "torch_threads": torch.get_num_threads()}
    results = load_results(out / "results.json", meta)
    work = Path(tempfile.mkdtemp(prefix="omnigame-eval-"))  # segment checkpoints
    for init in args.init:
        name = Path(init).stem if os.sep in init else init
        done = results.setdefault(name, {})
        for s in scenes:
            if s.name not in done:  # a re-run skips what an earlier run recorded
                done[s.name] = curve(s, init, args.steps, cfg, work / name / s.name)
                save_results(out, meta, results)
    print(summarise(results, args.steps))


def load_results(path: Path, meta: dict) -> dict:
    """Earlier results in the same folder, if they were made with the same settings."""
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    if {k: old["meta"].get(k) for k in meta} != meta:
        raise SystemExit(f"{path} holds results made with other settings ({old['meta']}); "
                         f"choose another --out")
    return old["results"]


def save_results(out: Path, meta: dict, results: dict) -> None:
    """Written after every scene (atomically), so an interrupted run loses little."""
    write_text(out / "results.json", json.dumps({"meta": meta, "results": results}, indent=1))
    write_text(out / "summary.md", summarise(results, meta["steps"]) + "\n")
    plot(results, meta["steps"], out / "iou_vs_steps.png")


if __name__ == "__main__":
    main()
