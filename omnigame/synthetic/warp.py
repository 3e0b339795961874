"""Batched image resampling in pixel coordinates (torch grid_sample on CPU).

Convention everywhere in omnigame.synthetic: a pixel (x, y) is column x, row y, its centre at the
integer coordinate; an affine `M` (2, 3) maps an OUTPUT pixel (x, y, 1) to the SOURCE pixel it
reads. Bilinear, zeros outside the source.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F


def pixel_grid(height: int, width: int) -> np.ndarray:
    """(H, W, 2) float32 (x, y) coordinates of every pixel."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([xs, ys], axis=-1)


def affine_coords(mats: np.ndarray, out_size: Tuple[int, int]) -> np.ndarray:
    """(B, H, W, 2) source coordinates read by each output pixel under mats (B, 2, 3)."""
    h, w = out_size
    m = np.asarray(mats, np.float32)[:, :, :, None, None]  # (B, 2, 3, 1, 1)
    xs = np.arange(w, dtype=np.float32)[None, None, :]
    ys = np.arange(h, dtype=np.float32)[None, :, None]
    out = np.empty((len(mats), h, w, 2), np.float32)
    for i in range(2):
        out[..., i] = m[:, i, 0] * xs + m[:, i, 1] * ys + m[:, i, 2]
    return out


def sample(src: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Read src (B, C, Hs, Ws) float32 at coords (B, H, W, 2) pixel (x, y); returns (B, C, H, W).

    A src with B == 1 is shared by all coordinate sets.
    """
    src_t = torch.from_numpy(np.ascontiguousarray(src, dtype=np.float32))
    hs, ws = src.shape[-2:]
    grid = torch.from_numpy(np.ascontiguousarray(coords, dtype=np.float32))
    grid = grid * torch.tensor([2.0 / max(ws - 1, 1), 2.0 / max(hs - 1, 1)]) - 1.0
    if src_t.shape[0] == 1 and grid.shape[0] > 1:
        src_t = src_t.expand(grid.shape[0], -1, -1, -1)
    out = F.grid_sample(src_t, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return out.numpy()


def affine_sample(src: np.ndarray, mats: np.ndarray, out_size: Tuple[int, int]) -> np.ndarray:
    """Warp src (B or 1, C, Hs, Ws) by mats (B, 2, 3) output->source; returns (B, C, H, W)."""
    return sample(src, affine_coords(mats, out_size))


def inside(coords: np.ndarray, size: Tuple[int, int], margin: float = 0.0) -> np.ndarray:
    """(B, H, W) bool: coords (B, H, W, 2) fall within a (height, width) image, less margin."""
    h, w = size
    x, y = coords[..., 0], coords[..., 1]
    return (x >= margin) & (x <= w - 1 - margin) & (y >= margin) & (y <= h - 1 - margin)


def invert_affine(mats: np.ndarray) -> np.ndarray:
    """(B, 2, 3) inverses of (B, 2, 3) affine maps."""
    full = np.zeros((mats.shape[0], 3, 3), np.float64)
    full[:, :2] = mats
    full[:, 2, 2] = 1.0
    return np.linalg.inv(full)[:, :2].astype(np.float32)


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """(B, 2, 3) map x -> outer(inner(x)), broadcasting a (1, 2, 3) side."""
    a = outer[..., :2] @ inner[..., :2]
    t = (outer[..., :2] @ inner[..., 2:])[..., 0] + outer[..., 2]
    return np.concatenate([a, t[..., None]], axis=-1)
