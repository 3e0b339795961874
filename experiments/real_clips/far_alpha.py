"""Speckles far from each object: the share of a layer's pixels more than D pixels from its
own mask (default 40, at the clip's resolution) whose alpha is above 0.1, over all frames.
On a real clip nothing of an object is that far from it, so these are pieces of sea or sand.

    python experiments/real_clips/far_alpha.py RESULT_DIR CLIP_DIR [D]
(RESULT_DIR: an `omnigame-decompose` out_dir; CLIP_DIR: the clip with mask_NN.mp4)"""
from __future__ import annotations

import glob
import sys

import imageio.v3 as iio
import numpy as np
from scipy import ndimage


def far_alpha(result: str, clip: str, distance: int = 40) -> list:
    """Per object: (mean alpha, share of alpha > 0.1) over the pixels farther than `distance`
    from its mask, and the mean alpha of the band within `distance` (its effects)."""
    out = []
    for k, folder in enumerate(sorted(glob.glob(f"{result}/layers/mask_*"))):
        masks = iio.imread(f"{clip}/mask_{k:02d}.mp4")[..., 0] > 128
        mass, share, near = [], [], []
        for t, path in enumerate(sorted(glob.glob(f"{folder}/*.png"))[:len(masks)]):
            alpha = iio.imread(path)[..., 3] / 255.0
            d = ndimage.distance_transform_edt(~masks[t])
            far = d > distance
            mass.append(alpha[far].mean()), share.append((alpha[far] > 0.1).mean())
            near.append(alpha[(d > 0) & ~far].mean())
        out.append((float(np.mean(mass)), float(np.mean(share)), float(np.mean(near))))
    return out


if __name__ == "__main__":
    D = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    for k, (mass, share, near) in enumerate(far_alpha(sys.argv[1], sys.argv[2], D)):
        print(f"object {k}: farther than {D} px: mean alpha {mass:.4f}, alpha > 0.1 on "
              f"{100 * share:.2f}%; within {D} px: mean alpha {near:.4f}")
