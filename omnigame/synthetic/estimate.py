"""Background estimate a real pipeline would have: per-channel median of unmasked pixels.

Seed 001 section 4: the median over frames of pixels outside every object mask (and, after
stabilisation, inside the valid area). Pixels never uncovered are filled by diffusion from their
neighbours (normalised Gaussian blurs of growing width).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import ndimage


def masked_median(frames: np.ndarray, usable: np.ndarray):
    """Per-pixel median over frames (N, H, W, 3) of usable (N, H, W) samples.

    Returns ((H, W, 3) float32, (H, W) bool where at least one sample was usable)."""
    values = np.where(usable[..., None], frames.astype(np.float32), np.inf)
    values = np.sort(values, axis=0)  # unusable samples (inf) sort to the end
    count = usable.sum(0)
    lo = np.maximum(count - 1, 0) // 2
    hi = np.maximum(count, 1) // 2
    lo_v = np.take_along_axis(values, lo[None, ..., None].repeat(3, -1), 0)[0]
    hi_v = np.take_along_axis(values, np.minimum(hi, len(frames) - 1)[None, ..., None].repeat(3, -1), 0)[0]
    median = np.where(count[..., None] % 2 == 1, lo_v, 0.5 * (lo_v + hi_v))
    seen = count > 0
    return np.where(seen[..., None], median, 0.0).astype(np.float32), seen


def fill_holes(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(H, W, 3) image with pixels where known (H, W) is False diffused in from known ones."""
    if known.all() or not known.any():
        return image
    out, weight = image * known[..., None], known.astype(np.float32)
    filled = image.copy()
    todo = ~known
    sigma = 1.0
    while todo.any() and sigma < 4 * max(image.shape[:2]):
        num = ndimage.gaussian_filter(out, (sigma, sigma, 0))
        den = ndimage.gaussian_filter(weight, sigma)
        ok = todo & (den > 1e-3)
        filled[ok] = num[ok] / den[ok, None]
        todo &= ~ok
        sigma *= 2.0
    return filled


def estimate_background(frames: np.ndarray, masks: np.ndarray,
                        valid: Optional[np.ndarray] = None) -> np.ndarray:
    """(H, W, 3) uint8 estimate from frames (N, H, W, 3) uint8, masks (L, N, H, W), valid (N, H, W)."""
    usable = ~np.asarray(masks, bool).any(axis=0)
    if valid is not None:
        usable &= valid
    median, seen = masked_median(frames, usable)
    if not seen.any():  # nothing ever uncovered: fall back to the plain median
        median = np.median(frames.astype(np.float32), axis=0)
        seen = np.ones(seen.shape, bool)
    return np.round(np.clip(fill_holes(median, seen), 0, 255)).astype(np.uint8)
