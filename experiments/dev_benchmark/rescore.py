"""Score a change of post-processing on the model outputs a `score.py` run kept, without training.

    python experiments/dev_benchmark/rescore.py RUN --out OUT [edge_matte=false ...]

`score.py` keeps, per scene, the model-size layers before any post-processing
(`layers/raw__*.pt`). This rebuilds each scene's layers from them with
`omnigame.io.result_writer.build_layers` (key=value options override its switches: sharpen,
detail, fit_alpha, grow_shadow, hand_over, drop_motion, steady, steady_owner, track_owner, edge_matte,
denoise_alpha, drop_specks; a run kept before a switch existed has it off unless given), and scores them as
score.py does: the same results.json / results.md, with RUN's training time per scene.
Seconds per scene ~ 1-3.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from omnigame.evaluation.evaluate import ground_truth_metrics, load_ground_truth  # noqa: E402
from omnigame.evaluation.metrics import psnr  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402
from omnigame.io.result_writer import build_layers  # noqa: E402
from score import parse_options, save  # noqa: E402

SWITCHES = ("sharpen", "detail", "fit_alpha", "grow_shadow", "hand_over", "drop_motion",
            "steady", "steady_owner", "track_owner", "edge_matte", "denoise_alpha", "drop_specks")


def rebuild(raw_path: Path, folder: str, overrides: dict):
    """The scene's video, ground truth and layers rebuilt from the kept model output."""
    raw = torch.load(raw_path, weights_only=False)  # our own file: it holds a Canvas
    video = read_input(folder)
    rgba_small, background = raw.pop("rgba_small").float(), raw.pop("background")
    layers = build_layers(rgba_small, video, background, **{**raw, **overrides})
    return video, load_ground_truth(folder), layers


def rescore(run: Path, key: str, row: dict, overrides: dict) -> dict:
    """One scene's row of results.json, ours from the rebuilt layers (the floor as recorded:
    it does not depend on the decomposition)."""
    video, gt, layers = rebuild(run / "layers" / f"raw__{key.replace('/', '__')}.pt",
                                row["folder"], overrides)
    m = ground_truth_metrics(layers, video, gt)
    ours = {"iou": m["effect_iou"]["per_object"],
            "association": m["association_accuracy"]["per_object"],
            "alpha_error": m["alpha_error"]["mean"],
            "psnr": psnr(layers.reconstruction, video.frames),
            "seconds": row["ours"]["seconds"]}
    return {**row, "ours": ours}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run", help="a score.py --out folder whose layers/ holds raw__*.pt")
    p.add_argument("options", nargs="*", help="build_layers switches as key=value")
    p.add_argument("--out", required=True)
    args = p.parse_intermixed_args()  # options before or after --out, as the docstring shows
    run, out = Path(args.run), Path(args.out)
    overrides = parse_options(args.options)
    if unknown := set(overrides) - set(SWITCHES):
        raise SystemExit(f"unknown options {sorted(unknown)}; known: {SWITCHES}")
    recorded = json.loads((run / "results.json").read_text())
    meta = {**recorded["meta"], "rescored_from": str(run), "post_processing": overrides}
    out.mkdir(parents=True, exist_ok=True)
    scenes = {}
    for key, row in recorded["scenes"].items():
        if not (run / "layers" / f"raw__{key.replace('/', '__')}.pt").exists():
            print(f"{key}: no kept model output, skipped", flush=True)
            continue
        scenes[key] = rescore(run, key, row, overrides)
        print(f"{key}: ours {np.nanmean(scenes[key]['ours']['iou']):.3f} / "
              f"{np.nanmean(scenes[key]['ours']['association']):.3f}", flush=True)
    save(out, meta, scenes)
    print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
