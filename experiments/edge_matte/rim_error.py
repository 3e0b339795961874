"""The rim's alpha error on a benchmark run's layers, and what association would be with less.

    python experiments/edge_matte/rim_error.py RUN [--prefix dev/] [key=value ...]

RUN is a `experiments/dev_benchmark/score.py` folder that kept its model outputs
(`layers/raw__*.pt`); the layers are rebuilt with today's decoding (key=value switches as for
`rescore.py`, e.g. hand_over=true drop_motion=true). Prints the mean |ours - true| alpha
within 2 px outside every mask (each object's rim, in its own layer), its bias, and the mean
association with that error scaled by 1 / 0.75 / 0.5 / 0 towards the truth: how much of what
association loses the rim holds. ~2 s per scene.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dev_benchmark"))
import rescore  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy  # noqa: E402
from score import parse_options  # noqa: E402

SCALES = (1.0, 0.75, 0.5, 0.0)


def rims(masks: np.ndarray) -> np.ndarray:
    """(L, N, H, W) bool masks -> (L, N, H, W) each object's pixels within 2 px outside its
    mask and outside every mask."""
    anyone = masks.any(0)
    grown = np.stack([[ndimage.binary_dilation(m, iterations=2) for m in obj] for obj in masks])
    return grown & ~anyone[None]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run")
    p.add_argument("options", nargs="*")
    p.add_argument("--prefix", default="dev/")
    args = p.parse_intermixed_args()
    run, overrides = Path(args.run), parse_options(args.options)
    rows = json.loads((run / "results.json").read_text())["scenes"]
    error, bias, count, scores = 0.0, 0.0, 0, {s: [] for s in SCALES}
    for key in (k for k in rows if k.startswith(args.prefix)):
        raw = run / "layers" / f"raw__{key.replace('/', '__')}.pt"
        video, gt, layers = rescore.rebuild(raw, rows[key]["folder"], overrides)
        ours = np.asarray(layers.rgba)[..., 3] / 255.0
        true, masks = gt.layers[..., 3] / 255.0, np.asarray(video.masks)
        rim = rims(masks)
        gap = np.where(rim, true - ours, 0.0)
        error, bias, count = error + np.abs(gap).sum(), bias - gap.sum(), count + rim.sum()
        for s in SCALES:
            scores[s].append(association_accuracy(ours + (1 - s) * gap, true, masks)["mean"])
    print(f"rim alpha error {error / count:.4f}, bias {bias / count:+.4f} ({count} pixels)")
    for s in SCALES:
        print(f"association with the rim's error x{s:.2f}: {np.nanmean(scores[s]):.4f}")


if __name__ == "__main__":
    main()
