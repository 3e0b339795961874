"""Does the outline's local colour variance tell where F, `edge_matte`'s guess of the rim's colour
(the outline's mean over OUTLINE_WINDOW px), is far from the rim's true colour?

    python experiments/edge_matte/outline_variance.py [/work/data/dev_benchmark]

On the built dev benchmark: every third frame, per object, the band within 2 px outside its mask
(away from other masks) where the true alpha is above 0.08; prints the correlation of the
outline's variance (mean over channels) with F's squared error, and the error by fifths of the
variance. Results: ../dev_benchmark/README.md, "Measured in session 27 and not adopted".
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.io.edge_matte import OUTLINE_WINDOW, _window_mean  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402


def object_rim(frame: torch.Tensor, true: np.ndarray, masks: np.ndarray, k: int):
    """frame (3, H, W), true (H, W, 4) layer of object k, masks (L, H, W) -> (variance, F's
    squared error) per pixel of its rim where the true alpha is above 0.08."""
    mask = masks[k]
    outline = torch.from_numpy(mask & ~ndimage.binary_erosion(mask)).to(frame.dtype)
    mean = _window_mean(frame, outline, OUTLINE_WINDOW)
    variance = (_window_mean(frame ** 2, outline, OUTLINE_WINDOW) - mean ** 2).clamp_min(0).mean(0)
    distance, (iy, ix) = ndimage.distance_transform_edt(~mask, return_indices=True)
    band = ((distance > 0) & (distance <= 2.01) & ~np.delete(masks, k, 0).any(0)
            & (true[..., 3] > 0.08))
    F = mean[:, iy, ix].numpy().transpose(1, 2, 0)[band]
    return variance.numpy()[iy, ix][band], ((F - true[..., :3][band]) ** 2).mean(1)


def main(root: str) -> None:
    pairs = []
    for folder in sorted(p for p in Path(root).iterdir() if (p / "gt").is_dir()):
        video, gt = read_input(str(folder)), load_ground_truth(str(folder))
        frames = torch.from_numpy(video.frames / 255.0).permute(0, 3, 1, 2)
        for k in range(video.num_objects):
            for t in range(0, video.num_frames, 3):
                if video.masks[k, t].any():
                    pairs.append(object_rim(frames[t], gt.layers[k, t] / 255.0,
                                            video.masks[:, t], k))
    variance, error = (np.concatenate(x) for x in zip(*pairs))
    print(f"{len(error)} pixels; F's squared error per channel {error.mean():.4f}; "
          f"correlation with the outline's variance {np.corrcoef(variance, error)[0, 1]:.3f}")
    edges = np.quantile(variance, np.linspace(0, 1, 6))
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = (variance >= lo) & (variance <= hi)
        print(f"variance {lo:.4f}-{hi:.4f}: F's squared error {error[part].mean():.4f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/data/dev_benchmark")
