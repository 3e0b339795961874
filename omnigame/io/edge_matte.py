"""An object's own soft edge, just outside its binary mask: the matting equation.

Input masks are binary, objects are not: antialiasing, motion blur and hair make the pixels
along an object's outline a mix of the object and what is behind it, and a mask cut at 50%
leaves that mix outside. `sharpen_alpha` makes a layer opaque inside its mask and keeps only
what the model adds beyond the blurred silhouette outside it, so the outline stays in the
background: the layer has a hard edge and the object's rim is missing from it. On the
development benchmark the rim (within 2 pixels of the mask, outside any shadow or reflection)
holds 2-23% of each object's true alpha outside its mask, and the layers had little of it.

In a band `width` pixels wide outside each mask, the object's colour F is taken from the
nearest pixel `inset` or more pixels inside the mask, what lies behind the layer B from the
composite, and alpha from the compositing equation I = a F + (1 - a) B by least squares:
    a = (I - B) . (F - B) / |F - B|^2,  clamped to [0, 1].
A mask drawn too loose or too tight corrects itself: where the band is background, I = B and
a = 0; where the object spills over, a = 1. The matte replaces the layer's alpha and colour only
where it explains the frame better than the layer already does (a shadow at the feet stays the
shadow's), only where F and B differ by `min_contrast` (elsewhere alpha is not determined),
and nowhere near another object's mask, whose edge is its own.

The pixels on the mask's own edge are a mix too, so F from them overstates alpha on an
idealised ramp (the tests use `inset=2` there); on footage they explain the rim best: over the
matted pixels, the mean |frame - composite| falls from 0.083 to 0.049 with `inset=0`, 0.051
with 1 and 0.052 with 2 on boys-beach (every 6th frame of its default decomposition), and the
development benchmark's reconstruction is 47.4 / 46.9 / 46.8 dB (46.5 without the matte).
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from .alpha_fit import _behind_each


def matte_edges(rgba: torch.Tensor, frames: torch.Tensor, background: torch.Tensor,
                order: torch.Tensor, masks: np.ndarray, width: float = 2.0,
                inset: int = 0, min_contrast: float = 0.08) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1]; frames, background (n, 3, H, W); order (n, L) back to
    front; masks (L, n, H, W) bool -> rgba with each object's rim matted in a band `width`
    pixels outside its mask (module docstring)."""
    L, n = rgba.shape[:2]
    out = rgba.clone()
    for t in range(n):
        behind, _ = _behind_each(out[:, t], background[t], order[t])
        for k in range(L):
            if masks[k, t].any():
                _matte_rim(out[k, t], frames[t], behind[k], masks[:, t], k, width, inset,
                           min_contrast)
    return out


def _matte_rim(layer: torch.Tensor, frame: torch.Tensor, behind: torch.Tensor,
               masks: np.ndarray, k: int, width: float, inset: int,
               min_contrast: float) -> None:
    """In place on layer (4, H, W) of object k: the matted rim. frame, behind (3, H, W);
    masks (L, H, W) bool, every object's mask in this frame."""
    distance = ndimage.distance_transform_edt(~masks[k])
    core = ndimage.binary_erosion(masks[k], iterations=inset) if inset else masks[k]
    _, (iy, ix) = ndimage.distance_transform_edt(~(core if core.any() else masks[k]),
                                                return_indices=True)
    others = np.delete(masks, k, axis=0).any(0)
    near_other = ndimage.binary_dilation(others, iterations=int(np.ceil(width)))
    band = torch.from_numpy((distance > 0) & (distance <= width) & ~near_other)[None]
    inside = frame[:, torch.from_numpy(iy), torch.from_numpy(ix)]  # F: nearest colour inside
    gap = inside - behind
    length2 = (gap ** 2).sum(0, keepdim=True)
    alpha = (((frame - behind) * gap).sum(0, keepdim=True) / length2.clamp_min(1e-8)).clamp(0, 1)
    matted = alpha * inside + (1 - alpha) * behind
    current = layer[3:] * layer[:3] + (1 - layer[3:]) * behind
    better = ((frame - matted).abs().sum(0, keepdim=True)
              < (frame - current).abs().sum(0, keepdim=True))
    take = band & better & (length2 > min_contrast ** 2)
    layer[3:] = torch.where(take, alpha, layer[3:])
    layer[:3] = torch.where(take, inside, layer[:3])
