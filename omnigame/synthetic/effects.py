"""Effects an object leaves on the scene: cast shadows, water reflections, dust trails.

Each effect is returned as premultiplied RGBA (N, 4, Hc, Wc) float32 on the canvas, to be put
BEHIND its object inside the object's own layer: a shadow is black with alpha = its opacity, so
compositing the layer over the clean plate darkens the ground exactly as the rendered frame does.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .textures import noise_field
from .warp import affine_sample, pixel_grid, sample


def feet_rows(alpha: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """(N,) lowest canvas row where the object's alpha (N, Hc, Wc) exceeds 0.5 in each frame."""
    rows = (alpha > 0.5).any(axis=2)
    last = alpha.shape[1] - 1 - np.argmax(rows[:, ::-1], axis=1)
    return np.where(rows.any(axis=1), last, fallback).astype(np.float32)


def shadow_maps(feet_y: np.ndarray, compress: float, shear_deg: float, front: bool) -> np.ndarray:
    """(N, 2, 3) maps shadow pixel -> object pixel: the matte is sheared, then squashed onto the
    ground about the feet row (seed 000 B). front=True throws it below the feet, towards us."""
    k, sgn = np.tan(np.radians(shear_deg)), (-1.0 if front else 1.0)
    m = np.zeros((len(feet_y), 2, 3), np.float32)
    m[:, 0, 0] = 1.0
    m[:, 0, 1] = k * sgn / compress
    m[:, 0, 2] = -k * sgn * feet_y / compress
    m[:, 1, 1] = sgn / compress
    m[:, 1, 2] = feet_y * (1.0 - sgn / compress)
    return m


def cast_shadow(alpha: np.ndarray, feet_y: np.ndarray, horizon: float, p: dict) -> np.ndarray:
    """(N, 4, Hc, Wc) black shadow from object alpha (N, Hc, Wc); p holds compress, shear_deg,
    front, opacity, blur (pixels). Shadows lie on the ground only, below the horizon."""
    n, hc, wc = alpha.shape
    maps = shadow_maps(feet_y, p["compress"], p["shear_deg"], p["front"])
    matte = affine_sample(np.ascontiguousarray(alpha[:, None]), maps, (hc, wc))[:, 0]
    matte = ndimage.gaussian_filter(matte, (0, p["blur"], p["blur"]))
    ground = np.clip(np.arange(hc, dtype=np.float32) - horizon + 0.5, 0.0, 1.0)[:, None]
    a = np.clip(matte * ground, 0.0, 1.0) * p["opacity"]
    return np.concatenate([np.zeros((n, 3, hc, wc), np.float32), a[:, None]], axis=1)


def reflect(rgba: np.ndarray, feet_y: np.ndarray, heights: np.ndarray, waterline: float,
            p: dict) -> np.ndarray:
    """(N, 4, Hc, Wc) mirror image of the object rgba (N, 4, Hc, Wc, premultiplied) about its feet,
    rippled, dimmed and tinted, fading with depth, only below the waterline.

    p: opacity, ripple (pixels), falloff (object heights), tint (3,)."""
    n, _, hc, wc = rgba.shape
    grid = pixel_grid(hc, wc)
    t = np.arange(n, dtype=np.float32)[:, None, None]
    ripple = p["ripple"] * np.sin(grid[None, ..., 1] * 0.9 + 0.7 * t)
    xs = grid[None, ..., 0] + ripple
    ys = 2.0 * feet_y[:, None, None] - grid[None, ..., 1]
    mirrored = sample(rgba, np.stack([xs, np.broadcast_to(ys, xs.shape)], axis=-1))
    below = grid[None, ..., 1] - feet_y[:, None, None]
    fade = np.exp(-np.maximum(below, 0) / (p["falloff"] * heights[:, None, None]))
    gain = p["opacity"] * fade * (below > 0) * (grid[None, ..., 1] >= waterline)
    tint = np.asarray(p["tint"], np.float32)[None, :, None, None]
    colour = 0.7 * mirrored[:, :3] + 0.3 * tint * mirrored[:, 3:]
    return np.concatenate([colour, mirrored[:, 3:]], axis=1) * gain[:, None]


def dust_trail(feet: np.ndarray, heights: np.ndarray, canvas: tuple, p: dict) -> np.ndarray:
    """(N, 4, Hc, Wc) puffs of dust left at past feet positions, growing, rising and fading.

    feet (N, K, 2) foot (x, y) k+1 frames ago, heights (N, K) object heights then;
    p: opacity, colour (3,), seed (noise texture seed)."""
    hc, wc = canvas
    n, k = heights.shape
    age = np.arange(1, k + 1, dtype=np.float32)[None]
    sigma = heights * (0.08 + 0.03 * age)
    cx, cy = feet[..., 0], feet[..., 1] - heights * (0.05 + 0.03 * age)
    gx = np.exp(-(np.arange(wc)[None, None] - cx[..., None]) ** 2 / (2 * sigma[..., None] ** 2))
    gy = np.exp(-(np.arange(hc)[None, None] - cy[..., None]) ** 2 / (2 * sigma[..., None] ** 2))
    amp = p["opacity"] * np.exp(-age / (0.5 * k))
    clear = np.ones((n, hc, wc), np.float32)
    for j in range(k):  # puffs are independent: transparencies multiply
        clear *= 1.0 - amp[:, j, None, None] * gy[:, j, :, None] * gx[:, j, None, :]
    grain = 0.4 + 0.6 * noise_field(np.random.default_rng(p["seed"]), canvas)
    a = ((1.0 - clear) * grain).astype(np.float32)
    colour = np.asarray(p["colour"], np.float32)[None, :, None, None]
    return np.concatenate([colour * a[:, None], a[:, None]], axis=1)
