"""Omnimatte's `homographies.txt`: a camera path, read and written.

    size: W H                          # the frame size the homographies are in pixels of
    bounds: x_min x_max y_min y_max    # the box every frame covers in world coordinates
    h11 h12 h13 h21 h22 h23 h31 h32 h33  # one row-major 3x3 per frame, world -> frame pixels

(Facts from the Omnimatte repository: one homography per frame, usually relative to the first
frame, so frame 1 is the identity; the world bounds come from mapping each frame's corners
through the inverse.) omnigame writes its estimated camera in this format and reads it back.
"""
from __future__ import annotations

from pathlib import Path
from typing import Tuple

import numpy as np

from .video import InputError

FIX = "see the format in omnigame/io/homographies.py, or delete the file to estimate the camera"


def read_homographies(path, num_frames: int) -> Tuple[np.ndarray, Tuple[int, int]]:
    """homographies.txt -> homographies (N, 3, 3) world -> frame, and the (H, W) they are for."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{path}: no such homographies file; give Omnimatte's homographies.txt")
    lines = [ln.split("#")[0].strip() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or not lines[0].startswith("size:"):
        raise InputError(f"{path}: the first line must be 'size: W H'; {FIX}")
    width, height = _numbers(path, "1", lines[0][5:], 2)
    rows = [ln for ln in lines[1:] if not ln.startswith("bounds:")]
    if len(rows) != num_frames:
        raise InputError(f"{path}: {len(rows)} homographies but the video has {num_frames} "
                         f"frames; give one line of 9 numbers per frame")
    Hs = np.stack([_homography(path, i, row) for i, row in enumerate(rows)])
    return Hs, (int(height), int(width))


def _numbers(path: Path, where: str, text: str, count: int) -> np.ndarray:
    try:
        values = np.array([float(v) for v in text.split()])
    except ValueError:
        values = np.array([])
    if len(values) != count or not np.isfinite(values).all():
        raise InputError(f"{path}: line {where} should hold {count} numbers, got "
                         f"'{text.strip()}'; {FIX}")
    return values


def _homography(path: Path, index: int, row: str) -> np.ndarray:
    H = _numbers(path, f"of frame {index + 1}", row, 9).reshape(3, 3)
    if abs(np.linalg.det(H)) < 1e-12 or H[2, 2] == 0:
        raise InputError(f"{path}: the homography of frame {index + 1} is singular; {FIX}")
    return H / H[2, 2]


def homographies_text(homographies: np.ndarray, size) -> str:
    """The file's text for homographies (N, 3, 3) world -> frame pixels of frames of size (H, W)."""
    h, w = size
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], np.float64)
    world = corners @ np.swapaxes(np.linalg.inv(homographies), -1, -2)  # (N, 4, 3)
    world = (world[..., :2] / world[..., 2:]).reshape(-1, 2)
    (x0, y0), (x1, y1) = world.min(0), world.max(0)
    text = [f"size: {w} {h}", f"bounds: {x0:.3f} {x1:.3f} {y0:.3f} {y1:.3f}"]
    text += [" ".join(f"{v:.9g}" for v in H.ravel()) for H in homographies]
    return "\n".join(text) + "\n"
