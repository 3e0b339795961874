"""Warping error: how much a layer flickers once the scene's motion is taken out.

Flow convention (skimage's): flow[t] is (2, H, W) = (dy, dx) such that the pixel at (y, x) in frame t
is found at (y + dy, x + dx) in frame t + 1. Warping frame t + 1 back to t samples it there.

warping error of a layer = mean of |warp(layer[t + 1]) - layer[t]| over all valid pixels of all pairs, where
the layer is PREMULTIPLIED RGB plus alpha in [0, 1] units (RGB videos: plain RGB in [0, 1]); valid pixels
sample inside frame t + 1 and, when backward flow is known, pass a forward-backward consistency check
(Sundaram et al. 2010), which drops occluded / disoccluded pixels.
"""
from __future__ import annotations

import logging
from typing import Dict, Optional, Tuple

import numpy as np
from scipy.ndimage import map_coordinates
from skimage.color import rgb2gray
from skimage.registration import optical_flow_ilk, optical_flow_tvl1
from tqdm.auto import tqdm

from omnigame.evaluation.metrics import premultiply, to_unit

logger = logging.getLogger(__name__)

_FLOW_METHODS = {"tvl1": optical_flow_tvl1, "ilk": optical_flow_ilk}


def estimate_flow(frames: np.ndarray, method: str = "tvl1",
                  backward: bool = False) -> np.ndarray:
    """Optical flow between consecutive grey frames.

    frames: (N, H, W, 3) uint8 (or float [0, 1]) video.
    method: "tvl1" (more accurate) or "ilk" (faster), from skimage.registration.
    backward: False -> flow from t to t + 1; True -> flow from t + 1 to t.
    Returns (N - 1, 2, H, W) float32 (dy, dx) in pixels.
    """
    flow_fn = _FLOW_METHODS[method]
    grey = lambda t: rgb2gray(to_unit(frames[t]))
    pairs = [(t + 1, t) if backward else (t, t + 1) for t in range(len(frames) - 1)]
    flows = [flow_fn(grey(ref), grey(moving)).astype(np.float32) for ref, moving in pairs]
    return np.stack(flows).astype(np.float32) if flows else np.zeros((0, 2, *frames.shape[1:3]),
                                                                    np.float32)


def warp(images: np.ndarray, flow: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Sample images at (y + dy, x + dx), bilinearly (backward warping).

    images: (T, H, W, C) float; flow: (T, 2, H, W) (dy, dx).
    Returns warped (T, H, W, C) float64 and in_bounds (T, H, W) bool (sample point inside the image).
    """
    y, x, in_bounds = _sample_points(flow)
    warped = np.empty(images.shape, np.float64)
    for t in range(images.shape[0]):
        for c in range(images.shape[-1]):
            warped[t, ..., c] = map_coordinates(images[t, ..., c].astype(np.float64), [y[t], x[t]],
                                                order=1, mode="nearest")
    return warped, in_bounds


def _sample_points(flow: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, 2, H, W) flow -> sample rows y, columns x (T, H, W) float64 and in_bounds (T, H, W) bool."""
    H, W = flow.shape[2:]
    yy, xx = np.mgrid[:H, :W].astype(np.float64)
    y, x = yy + flow[:, 0], xx + flow[:, 1]
    return y, x, (y >= 0) & (y <= H - 1) & (x >= 0) & (x <= W - 1)


def consistent(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Forward-backward consistency: (T, 2, H, W) flows t->t+1 and t+1->t -> (T, H, W) bool.

    A pixel is consistent when following the forward flow and then the backward flow returns close
    to the start: |f + b(p + f)|^2 < 0.01 (|f|^2 + |b(p + f)|^2) + 0.5 (Sundaram et al. 2010).
    """
    back_at_target, _ = warp(np.moveaxis(backward, 1, -1), forward)  # (T, H, W, 2)
    fwd = np.moveaxis(forward, 1, -1)
    err = ((fwd + back_at_target) ** 2).sum(-1)
    bound = 0.01 * ((fwd ** 2).sum(-1) + (back_at_target ** 2).sum(-1)) + 0.5
    return err < bound


def _as_signal(video: np.ndarray) -> np.ndarray:
    """(N, H, W, 4) RGBA -> premultiplied RGBA in [0, 1]; (N, H, W, 3) RGB -> RGB in [0, 1]."""
    return premultiply(video) if video.shape[-1] == 4 else to_unit(video)


def valid_pixels(flow: np.ndarray, backward_flow: Optional[np.ndarray] = None) -> np.ndarray:
    """(T, H, W) bool: forward flow samples inside the frame (and is consistent, if backward given)."""
    _, _, in_bounds = _sample_points(flow)
    if backward_flow is None:
        return in_bounds
    return in_bounds & consistent(flow, backward_flow)


def warping_error(video: np.ndarray, flow: np.ndarray, backward_flow: Optional[np.ndarray] = None,
                  valid: Optional[np.ndarray] = None) -> float:
    """Temporal flicker of one layer (or RGB video) along the given motion, in [0, 1] units.

    video:         (N, H, W, 4) straight RGBA (compared premultiplied, plus alpha) or (N, H, W, 3) RGB;
                   uint8 0..255 or float [0, 1].
    flow:          (N - 1, 2, H, W) forward flow t -> t + 1 (see module docstring).
    backward_flow: optional (N - 1, 2, H, W) flow t + 1 -> t for the occlusion check.
    valid:         optional precomputed (N - 1, H, W) bool from `valid_pixels` (saves recomputing it).
    Returns the mean absolute difference over valid pixels and channels (0 = no flicker);
    nan (with a warning) for fewer than 2 frames or no valid pixel.
    """
    if video.shape[0] < 2:
        logger.warning("warping_error: fewer than 2 frames; returning nan")
        return float("nan")
    if flow.shape != (video.shape[0] - 1, 2, *video.shape[1:3]):
        raise ValueError(f"warping_error: flow shape {flow.shape} does not fit video {video.shape}")
    if valid is None:
        valid = valid_pixels(flow, backward_flow)
    total, count = error_sum(video, flow, valid)
    return _mean(total, count)


def error_sum(video: np.ndarray, flow: np.ndarray, valid: np.ndarray, chunk: int = 8):
    """(sum of |warp(x[t + 1]) - x[t]| over valid pixels, their number) for video (T + 1, ...),
    flow and valid over its T pairs; `chunk` pairs at a time, since the float64 premultiplied
    copy of a whole long video would take gigabytes."""
    total, count = 0.0, 0
    for s in range(0, flow.shape[0], chunk):
        e = min(flow.shape[0], s + chunk)
        signal = _as_signal(video[s:e + 1])
        warped, _ = warp(signal[1:], flow[s:e])
        diff = np.abs(warped - signal[:-1]).mean(-1)  # (pairs, H, W)
        total += float(diff[valid[s:e]].sum())
        count += int(valid[s:e].sum())
    return total, count


def _mean(total: float, count: int) -> float:
    if count == 0:
        logger.warning("warping_error: no pixel has a valid flow; returning nan")
        return float("nan")
    return total / count


def warping_errors(videos: Dict[str, np.ndarray], frames: np.ndarray, method: str = "tvl1",
                   valid_mask: Optional[np.ndarray] = None, chunk: int = 8,
                   progress: bool = False) -> Tuple[Dict[str, float], float]:
    """Warping error of several videos along the flow of `frames` (N, H, W, 3), streamed.

    Flow is estimated and used `chunk` frame pairs at a time, so memory stays bounded
    whatever the video's length. valid_mask: optional (N, H, W) bool of usable pixels.
    Returns ({name: error}, the fraction of pixel pairs with a valid flow).
    """
    sums = {name: [0.0, 0] for name in videos}
    valid_pixels_seen, pairs = 0, frames.shape[0] - 1
    bar = tqdm(total=pairs, desc="optical flow", unit="pair", disable=not progress)
    for s in range(0, pairs, chunk):
        e = min(pairs, s + chunk)  # pairs s..e-1 use frames s..e
        forward = estimate_flow(frames[s:e + 1], method)
        valid = valid_pixels(forward, estimate_flow(frames[s:e + 1], method, backward=True))
        if valid_mask is not None:
            valid &= valid_mask[s:e] & valid_mask[s + 1:e + 1]
        for name, video in videos.items():
            total, count = error_sum(video[s:e + 1], forward, valid)
            sums[name][0] += total
            sums[name][1] += count
        valid_pixels_seen += int(valid.sum())
        bar.update(e - s)
    bar.close()
    fraction = valid_pixels_seen / float(pairs * frames.shape[1] * frames.shape[2])
    return {name: _mean(*acc) for name, acc in sums.items()}, fraction
