"""An effect stays with its object: alpha a layer holds in one frame only goes back to the
layer that holds that place in the frames around it.

Each player sees only its own mask, so in a single frame two players can take the same
shadow: on the live set (session 23's seed-0 run, scene 02) the small boy's layer took 0.18
of the kite-surfer's shadow in frames 20 and 22, and the surfer's layer held 0.20 there
instead of its 0.30 of every other frame. Per frame t and layer j, j's support at a pixel is
what j holds there in the frames t-2, t-1, t+1 and t+2, each moved by j's own best
translation (`steady_effects.best_shift`: the object dominates the alpha), the second largest
of the four (one neighbour alone can share the same slip), widened by `tol` pixels. Outside
every mask, beyond j's rim, where j holds more than its support and another layer k holds
less than its own (and its own is at least `level`: an effect, not a haze), k takes what j
holds beyond its support, up to k's support, so that the pair's cover 1 - (1 - a_j)(1 - a_k)
is kept: what k cannot take stays in j. Nothing is dropped: alpha no other layer supports
stays where it is, and where the background moves `steady_effects` has already capped it.

Measured on the outputs kept by six default runs of the live set (`rescore.py`, session 24):
effect IoU 0.774 -> 0.779 (that run; its scene 02 0.723 -> 0.741), the other five up by
0.0003-0.0005, association up by 0.0003-0.004; development benchmark 0.946 -> 0.946,
association 0.8351 -> 0.8358; synthetic split unchanged (0.898 / 0.819). On boys-beach it
gives the end of the yellow-hat boy's shadow, which the bending boy's layer held in frame
72, back to him, and in frame 75 hands a thinner piece of it the other way, the bending
boy's layer having held it in the frames around.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .steady_effects import held_nearby

NEIGHBOURS = (-2, -1, 1, 2)
AGREE = 2  # how many neighbours must hold a place for it to be supported


def supports(alpha: np.ndarray, tol: int) -> np.ndarray:
    """alpha (L, N, H, W) uint8 -> (L, N, H, W) uint8: what each layer holds at each place in
    the frames around (module docstring); 255 where fewer than AGREE frames are around."""
    L, N, H, W = alpha.shape
    limit = max(H, W) // 16
    out = np.full_like(alpha, 255)
    for k in range(L):
        spectra: dict = {}  # this layer's spectra, kept while frames near t need them
        for t in range(N):
            near = [t + d for d in NEIGHBOURS if 0 <= t + d < N]
            if len(near) < AGREE:
                continue
            held = held_nearby(alpha[k], t, near, spectra, limit)
            cap = np.sort(held, axis=0)[-AGREE]
            out[k, t] = ndimage.maximum_filter(cap, size=2 * tol + 1) if tol else cap
    return out


def steady_owner(alpha: np.ndarray, masks: np.ndarray, tol: int = 1, level: float = 0.05,
                 rim: int = 2) -> np.ndarray:
    """alpha (L, N, H, W) uint8; masks (L, N, H, W) bool -> alpha with each layer's
    unsupported alpha (at or above `level`) handed to a layer that supports the place."""
    L, N = alpha.shape[:2]
    if L < 2 or N < 3:
        return alpha.copy()
    a = alpha.astype(np.float32) / 255
    sup = supports(alpha, tol).astype(np.float32) / 255
    step = 1 / 255  # a grey level: differences below it are rounding
    outside = ~masks.any(0)
    for t, j in np.ndindex(N, L):
        free = outside[t] & ~ndimage.binary_dilation(masks[j, t], iterations=rim)
        excess = free & (a[j, t] >= level) & (a[j, t] > sup[j, t] + step)
        for k in (k for k in range(L) if k != j):
            # k must hold an effect there (not a faint haze) in the frames around
            take = excess & (sup[k, t] >= level) & (sup[k, t] > a[k, t] + step)
            if not take.any():
                continue
            # the pair's cover (1 - a_j)(1 - a_k) is kept: j gives up only what k can take
            clear = (1 - a[j, t]) * (1 - a[k, t])
            keep = np.minimum(a[j, t], sup[j, t])
            gets = np.minimum(np.maximum(a[k, t], 1 - clear / np.maximum(1 - keep, 1e-3)),
                              sup[k, t])
            keep = np.maximum(keep, 1 - clear / np.maximum(1 - gets, 1e-3))
            a[k, t] = np.where(take, gets, a[k, t])
            a[j, t] = np.where(take, keep, a[j, t])
            excess &= ~take
    return np.clip(np.round(a * 255), 0, 255).astype(np.uint8)
