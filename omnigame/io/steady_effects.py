"""An effect moves with its object: layer alpha the frames around it do not hold is capped.

A shadow or a reflection is cast by its object, so from frame to frame it moves with it and
keeps its shape. A wave, a line of foam or wash running up the sand moves by itself. Where
the background moves, `fit_effect_alpha` and `grow_shadow` can attach such a streak to the
effect it touches, and `drop_motion` keeps it when it changes the frame by more than twice
the background's own change. The streak is then in one frame and not, at the same place
relative to the object, two frames before or after.

So, where the background moves (`still_noise` at or above `alpha_fit.STILL_LEVEL`), each
layer's alpha outside its object's rim is capped, per frame t, by the larger of what the same
layer holds `gap` frames before and after, each moved by the layer's own best translation
from that frame to frame t (the peak of the two alphas' cross-correlation: the object
dominates it), and widened by `tol` pixels (one pixel of the model's output, whose alphas
the fits start from: an effect's shape is known no better than that). The colour is kept;
where alpha is lowered, the frame's change goes back to the background.

Measured on the kept model outputs of the live set (objects over real moving sea, session
18's run and session 19's seed-1 run; `experiments/dev_benchmark/rescore.py RUN steady=true`;
the effect pixels more than 3 px from their mask): with a gap of 3 frames and 1 px, 88-100%
of the true effect pixels the layers hold were held by a neighbour too, against 34-63% of the
false ones. Effect IoU 0.789 -> 0.800 and 0.797 -> 0.802 with the defaults (gap 2, one model
pixel = 2 px there). A 1 px tolerance gave more (0.805 / 0.808) but cut a kicking boy's
shadow on boys-beach, whose legs move between frames (its layers at full size, 480x854:
one model pixel is 5 px). The development benchmark's plates are still: unchanged.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import ndimage


def best_shift(target: np.ndarray, source: np.ndarray, limit: int) -> tuple:
    """(H, W) alphas -> integer (dy, dx), each within `limit`, that moves `source` onto
    `target` best: the peak of their circular cross-correlation."""
    return _peak(np.fft.rfft2(target), np.fft.rfft2(source), target.shape, limit)


def _peak(target: np.ndarray, source: np.ndarray, shape: tuple, limit: int) -> tuple:
    """`best_shift` from the two alphas' spectra (np.fft.rfft2), so each frame's is taken once."""
    H, W = shape
    corr = np.fft.fftshift(np.fft.irfft2(target * np.conj(source), s=(H, W)))
    ly, lx = min(limit, H // 2 - 1), min(limit, W // 2 - 1)
    window = corr[H // 2 - ly:H // 2 + ly + 1, W // 2 - lx:W // 2 + lx + 1]
    dy, dx = np.unravel_index(window.argmax(), window.shape)
    return int(dy - ly), int(dx - lx)


def moved(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """(H, W) -> (H, W): shifted by (dy, dx) pixels, zeros where nothing comes in."""
    H, W = image.shape
    out = np.zeros_like(image)
    if abs(dy) >= H or abs(dx) >= W:
        return out
    out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        image[max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out


def held_nearby(layer: np.ndarray, t: int, near: list, spectra: dict, limit: int) -> np.ndarray:
    """layer (N, H, W): one layer's alpha -> (len(near), H, W): what the frames `near` hold,
    each moved onto frame t by the layer's best shift (`best_shift`). spectra: frame -> the
    alpha's spectrum, a cache the caller keeps for this layer while t rises; frames before
    the earliest of t and `near` leave it."""
    for u in [u for u in spectra if u < min([t] + near)]:
        del spectra[u]
    for u in [t] + near:
        if u not in spectra:
            spectra[u] = np.fft.rfft2(layer[u].astype(np.float32))
    H, W = layer.shape[1:]
    return np.stack([moved(layer[u], *_peak(spectra[t], spectra[u], (H, W), limit))
                     for u in near])


def steady_effects(alpha: np.ndarray, masks: np.ndarray, moving: Optional[np.ndarray],
                   gap: int = 2, tol: int = 1, rim: int = 2,
                   limit: Optional[int] = None) -> np.ndarray:
    """alpha (L, N, H, W) uint8; masks (L, N, H, W) bool; moving (H, W) bool, where the
    background moves (None: everywhere) -> (L, N, H, W) uint8 alpha, capped there, outside
    each object's mask grown by `rim` px, by what the frames `gap` before and after hold
    (module docstring). limit: the largest shift searched (default 1/16 of the frame)."""
    L, N, H, W = alpha.shape
    out = alpha.copy()
    limit = limit or max(H, W) // 16
    if N < 2 or (moving is not None and not moving.any()):
        return out
    for k, t in np.ndindex(L, N):
        if t == 0:
            spectra: dict = {}  # this layer's spectra, kept while frames near t need them
        near = [u for u in (t - gap, t + gap) if 0 <= u < N]
        near = near or [u for u in (t - 1, t + 1) if 0 <= u < N]  # a clip shorter than gap
        cap = held_nearby(alpha[k], t, near, spectra, limit).max(0)
        if tol:
            cap = ndimage.maximum_filter(cap, size=2 * tol + 1)
        free = ~ndimage.binary_dilation(masks[k, t], iterations=rim) if rim else ~masks[k, t]
        if moving is not None:
            free &= moving
        out[k, t] = np.where(free, np.minimum(alpha[k, t], cap), alpha[k, t])
    return out
