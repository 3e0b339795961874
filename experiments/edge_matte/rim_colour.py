"""Where the rim matte's alpha error comes from: the guess of the rim's colour F.

    python experiments/edge_matte/rim_colour.py [--scenes /work/data/dev_benchmark]

On every object's rim (within 2 px outside its mask, outside every other mask and away from
other layers' true alpha), alpha from I = a F + (1 - a) B with B the scene's true plate and F
guessed several ways, against the true alpha; MAE and bias overall and on the pixels touching
the mask (`d1`). With the true colour F the equation gives the truth back (the frames carry no
noise), so the whole error of the matte is its guess of F. Prints one row per guess (~1 min).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.io.edge_matte import _outline_mean, shape_prior  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402

WEIGHT = 0.1  # edge_matte's default prior weight


def outline_mean(frame: np.ndarray, mask: np.ndarray, window: int) -> np.ndarray:
    """(H, W, 3): edge_matte's guess, the mean colour of the mask's outline within `window` px."""
    chw = torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1)))
    return _outline_mean(chw, mask, window).numpy().transpose(1, 2, 0)


def guesses(frame, true_colour, mask):
    """name -> (H, W, 3) guess of the rim's colour F."""
    _, (iy, ix) = ndimage.distance_transform_edt(~mask, return_indices=True)
    out = {"true colour": true_colour, "nearest outline pixel (sessions 12-20)": frame[iy, ix]}
    for window in (3, 5, 7, 11):
        out[f"outline mean over {window} px"] = outline_mean(frame, mask, window)[iy, ix]
    return out


def solve(frame, plate, colour, prior, weight):
    gap, offset = colour - plate, frame - plate
    alpha = ((offset * gap).sum(-1) + weight * prior) / ((gap * gap).sum(-1) + weight + 1e-9)
    return alpha.clip(0, 1)


def rim_pixels(masks, layers, k, t):
    """(H, W) bool rim of object k in frame t, and (H, W) bool of its pixels touching the mask."""
    distance = ndimage.distance_transform_edt(~masks[k, t])
    rim = (distance > 0) & (distance <= 2) & ~masks[:, t].any(0)
    others = np.delete(layers[:, t, ..., 3], k, 0)
    if len(others):
        rim &= others.max(0) < 0.01
    return rim, rim & (distance <= 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenes", default="/work/data/dev_benchmark")
    args = p.parse_args()
    errors: dict = {}
    for folder in sorted(q for q in Path(args.scenes).iterdir() if (q / "gt").is_dir()):
        video, gt = read_input(str(folder)), load_ground_truth(str(folder))
        frames, plate = video.frames / 255.0, gt.background / 255.0
        layers, masks = gt.layers / 255.0, video.masks
        for k, t in np.ndindex(*masks.shape[:2]):
            if not masks[k, t].any():
                continue
            rim, touching = rim_pixels(masks, layers, k, t)
            truth, prior = layers[k, t, ..., 3], shape_prior(masks[k, t])
            bg = plate[t] if plate.ndim == 4 else plate
            rows = guesses(frames[t], layers[k, t, ..., :3], masks[k, t])
            true_colour = rows["true colour"]
            rows = {name: solve(frames[t], bg, f, prior, WEIGHT) for name, f in rows.items()}
            rows["true colour, no prior"] = solve(frames[t], bg, true_colour, prior, 0.0)
            rows["the shape prior alone"] = prior
            for name, alpha in rows.items():
                for part, where in (("all", rim), ("d1", touching)):
                    errors.setdefault((name, part), []).append(alpha[where] - truth[where])
    print(f"| F (prior weight {WEIGHT}) | rim MAE | bias | MAE touching the mask | pixels |")
    print("|---|---|---|---|---|")
    for name in dict.fromkeys(n for n, _ in errors):
        e, d1 = np.concatenate(errors[name, "all"]), np.concatenate(errors[name, "d1"])
        print(f"| {name} | {np.abs(e).mean():.4f} | {e.mean():+.4f} | {np.abs(d1).mean():.4f} "
              f"| {e.size} |")


if __name__ == "__main__":
    main()
