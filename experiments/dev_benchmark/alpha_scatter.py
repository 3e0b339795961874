"""How close a run's effect alpha is to the truth beyond the objects' rims, as it is and blurred.

    python experiments/dev_benchmark/alpha_scatter.py RUN [--sigmas 0.5,0.8] [--rim 2]

RUN is a `score.py` or averaging run whose `layers/` holds the final layers (`dev__*.npz`).
For each dev scene and each sigma (0 = the layers as they are), the layers' alpha beyond
`rim` px of every mask is blurred by a gaussian of sigma px (what `denoise_alpha` does, alpha
only), and the script prints association and, against the true layers, alpha's mean absolute
error and mean bias over a fixed region: beyond the rims, where the truth or the unblurred
layer holds alpha above 0.02, grown by 3 px (per frame). A blur that only spreads alpha would
raise association (it does not count alpha held above the truth) but not lower the error.
"""
from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402

ROOT = "/work/data/dev_benchmark"


def grown(mask: np.ndarray, px: int) -> np.ndarray:
    """(..., H, W) bool -> the same, each frame's mask grown by px pixels."""
    flat = mask.reshape(-1, *mask.shape[-2:])
    return np.stack([ndimage.binary_dilation(m, iterations=px) if m.any() else m
                     for m in flat]).reshape(mask.shape)


def scene_rows(ours: np.ndarray, true: np.ndarray, masks: np.ndarray, sigmas, rim: int):
    """ours, true (L, N, H, W) alpha in [0, 1]; masks (L, N, H, W) bool -> per sigma
    (association, mean absolute error, bias)."""
    away = ~grown(masks.any(0), rim)[None]  # (1, N, H, W)
    region = away & grown((true > 0.02) | (ours > 0.02), 3)
    rows = []
    for sigma in sigmas:
        blurred = ours if sigma == 0 else np.where(
            away, ndimage.gaussian_filter(ours, (0, 0, sigma, sigma), mode="mirror"), ours)
        error = (blurred - true)[region]
        rows.append((association_accuracy(blurred, true, masks)["mean"],
                     np.abs(error).mean(), error.mean()))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run")
    p.add_argument("--sigmas", default="0.5,0.8")
    p.add_argument("--rim", type=int, default=2)
    p.add_argument("--root", default=ROOT, help="the built dev benchmark")
    args = p.parse_args()
    sigmas = [0.0] + [float(s) for s in args.sigmas.split(",")]
    table = []
    for path in sorted(glob.glob(f"{args.run}/layers/dev__*.npz")):
        scene = Path(path).stem.split("__", 1)[1]
        video, gt = read_input(f"{args.root}/{scene}"), load_ground_truth(f"{args.root}/{scene}")
        ours = np.load(path)["rgba"][..., 3] / 255.0
        rows = scene_rows(ours, gt.layers[..., 3] / 255.0, video.masks.astype(bool), sigmas,
                          args.rim)
        table.append(rows)
        print(scene, "  ".join(f"{s:g}: {a:.3f} / {e:.4f} / {b:+.4f}"
                               for s, (a, e, b) in zip(sigmas, rows)), flush=True)
    means = np.mean(np.array(table), axis=0)
    print(f"mean over {len(table)} scenes (sigma: association / alpha error / bias)")
    for s, (a, e, b) in zip(sigmas, means):
        print(f"  {s:g}: {a:.4f} / {e:.4f} / {b:+.4f}")


if __name__ == "__main__":
    main()
