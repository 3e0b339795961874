"""Planar homographies in pixel coordinates: applying, resampling with, rescaling, comparing.

Convention (the same as omnigame.synthetic.warp): a pixel (x, y) is column x, row y with its
centre at the integer coordinate. A homography H (3, 3) maps a point p = (x, y, 1) to H p,
divided by its last entry. Warping an image "by H" means: each OUTPUT pixel reads the SOURCE
image at H p (so H maps output pixels to source pixels).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F


def apply(H: np.ndarray, points: np.ndarray) -> np.ndarray:
    """H (..., 3, 3) applied to points (..., P, 2) -> (..., P, 2)."""
    ones = np.ones(points.shape[:-1] + (1,), points.dtype)
    p = np.concatenate([points, ones], -1) @ np.swapaxes(H, -1, -2)
    return p[..., :2] / p[..., 2:3]


def grid_points(height: int, width: int, step: int = 1) -> np.ndarray:
    """(P, 2) float64 (x, y) pixel centres of an image, every `step` pixels."""
    ys, xs = np.mgrid[0:height:step, 0:width:step].astype(np.float64)
    return np.stack([xs.ravel(), ys.ravel()], -1)


def source_coords(H: torch.Tensor, out_size: Tuple[int, int]) -> torch.Tensor:
    """H (B, 3, 3) output -> source pixel maps -> (B, h, w, 2) source (x, y) of every output
    pixel."""
    h, w = out_size
    ys, xs = torch.meshgrid(torch.arange(h, dtype=H.dtype), torch.arange(w, dtype=H.dtype),
                            indexing="ij")
    p = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(-1, 3)  # (hw, 3)
    q = p @ H.transpose(1, 2)  # (B, hw, 3)
    # a point behind the camera (q_z <= 0) reads nothing: send it far outside the source
    z = torch.where(q[..., 2:] > 1e-8, q[..., 2:], torch.full_like(q[..., 2:], 1e-8))
    return (q[..., :2] / z).reshape(-1, h, w, 2)


def sample(src: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Bilinear read of src (B, C, Hs, Ws) at pixel coords (B, h, w, 2); zeros outside."""
    hs, ws = src.shape[-2:]
    scale = torch.tensor([2.0 / max(ws - 1, 1), 2.0 / max(hs - 1, 1)], dtype=coords.dtype)
    grid = (coords * scale - 1.0).to(src.dtype)
    return F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def inside(coords: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """(B, h, w) bool: coords (B, h, w, 2) fall on an image of (height, width)."""
    h, w = size
    x, y = coords[..., 0], coords[..., 1]
    return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def warp(src: torch.Tensor, H: torch.Tensor, out_size: Tuple[int, int]):
    """src (B, C, Hs, Ws) warped by H (B, 3, 3) (output -> source) -> (B, C, h, w) and the
    (B, h, w) bool mask of output pixels that read inside the source."""
    coords = source_coords(H.double(), out_size)
    return sample(src, coords), inside(coords, src.shape[-2:])


def rescale(H: np.ndarray, from_size, to_size) -> np.ndarray:
    """Homographies (..., 3, 3) between images of `from_size` (H, W) -> the same maps between
    the images resized to `to_size`. Pixel centres scale about the image's corner."""
    S = scale_matrix(from_size, to_size)
    return S @ H @ np.linalg.inv(S)


def scale_matrix(from_size, to_size) -> np.ndarray:
    """(3, 3) pixel of an image of `from_size` (H, W) -> the same point in it resized to
    `to_size`."""
    sy, sx = to_size[0] / from_size[0], to_size[1] / from_size[1]
    return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])


def normalise(H: np.ndarray) -> np.ndarray:
    """Scale (..., 3, 3) so the bottom-right entry is 1."""
    return H / H[..., 2:3, 2:3]


def transfer_error(H_a: np.ndarray, H_b: np.ndarray, size, step: int = 4) -> np.ndarray:
    """(N,) RMS distance in pixels between where H_a and H_b (N, 3, 3) send the pixels of an
    image of `size` (H, W): how far apart two estimates of the same maps are."""
    pts = grid_points(*size, step=step)
    diff = apply(H_a, pts[None]) - apply(H_b, pts[None])
    return np.sqrt((diff ** 2).sum(-1).mean(-1))


def translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1.0]])
