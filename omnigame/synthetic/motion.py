"""Smooth object paths on the ground plane and the sprite placements they imply.

A path gives, for any (even negative) time t, the foot point (x, y) of an object in canvas
pixels. Objects further down the frame are nearer the camera: they are drawn larger and in front,
so depth order follows from the paths and swaps whenever two paths cross in y.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Path:
    """Foot trajectory: drift plus two sinusoids per axis; y kept inside the ground band."""

    x0: float
    y0: float
    vx: float
    vy: float
    wobble: np.ndarray  # (4,) amplitudes x1, x2, y1, y2 (pixels)
    freq: np.ndarray  # (4,) radians per frame
    phase: np.ndarray  # (4,)
    y_band: tuple  # (top, bottom) pixels: foot stays on the ground
    t_mid: float

    def foot(self, t: np.ndarray) -> np.ndarray:
        """(T, 2) foot (x, y) in canvas pixels at times t (T,)."""
        t = np.asarray(t, np.float64)[:, None]
        waves = self.wobble * np.sin(self.freq * t + self.phase)
        x = self.x0 + self.vx * (t[:, 0] - self.t_mid) + waves[:, 0] + waves[:, 1]
        y = self.y0 + self.vy * (t[:, 0] - self.t_mid) + waves[:, 2] + waves[:, 3]
        return np.stack([x, np.clip(y, *self.y_band)], axis=1)


def sample_path(rng: np.random.Generator, view: tuple, horizon: float, speed: tuple,
                num_frames: int) -> Path:
    """A path whose foot stays near the view box (x0, y0, w, h) below the horizon row.

    speed: (low, high) fraction of the view width per frame.
    """
    vx0, vy0, w, h = view
    band = (horizon + 0.12 * (vy0 + h - horizon), vy0 + 0.97 * h)
    vx = rng.uniform(*speed) * w * rng.choice([-1.0, 1.0])
    travel = abs(vx) * num_frames / 2
    margin = max(0.0, 0.35 * w - travel)  # start late enough that fast objects stay in view
    x0 = vx0 + 0.5 * w + rng.uniform(-margin, margin)
    y0 = rng.uniform(*band)
    vy = rng.uniform(-1, 1) * (band[1] - band[0]) / num_frames * 0.6
    wobble = np.array([0.06 * w, 0.02 * w, 0.08 * h, 0.02 * h]) * rng.random(4)
    freq = rng.uniform(0.05, 0.4, 4)
    return Path(float(x0), float(y0), float(vx), float(vy), wobble, freq,
                rng.uniform(0, 2 * np.pi, 4), band, (num_frames - 1) / 2)


def object_height(foot_y: np.ndarray, horizon: float, bottom: float, base: float) -> np.ndarray:
    """(T,) object heights in pixels: perspective shrinks objects towards the horizon."""
    depth = np.clip((foot_y - horizon) / max(bottom - horizon, 1.0), 0.05, 1.0)
    return base * (0.5 + 0.5 * depth)


def placement(foot: np.ndarray, heights: np.ndarray, aspect: float, size: int,
              tilt: np.ndarray) -> np.ndarray:
    """(T, 2, 3) maps from canvas pixels to sprite pixels (sprite S x S, feet at v = 1).

    foot (T, 2), heights (T,), tilt (T,) radians. Objects face the way they move.
    """
    facing = 1.0 if foot[-1, 0] >= foot[0, 0] else -1.0  # one direction: no flicker from wobble
    half_h, half_w = heights / 2, heights * aspect / 2
    cx, cy = foot[:, 0], foot[:, 1] - half_h
    cos, sin = np.cos(tilt), np.sin(tilt)
    k = (size - 1) / 2
    # local (u, v) = R(-tilt) . ((x - cx) / half_w * facing, (y - cy) / half_h)
    a = np.zeros((len(foot), 2, 3))
    a[:, 0, 0], a[:, 0, 1] = k * cos * facing / half_w, k * sin / half_h
    a[:, 1, 0], a[:, 1, 1] = -k * sin * facing / half_w, k * cos / half_h
    a[:, :, 2] = k - a[:, :, 0] * cx[:, None] - a[:, :, 1] * cy[:, None]
    return a.astype(np.float32)
