"""The result of a decomposition: one RGBA layer per object plus a background.

Arrays are numpy, channel-last, 8-bit, at the resolution of the input video, so they hold
exactly what the written PNGs hold and can be recomposited without the model.

This module is also the one place that composites 8-bit straight-alpha layers (results, the
generator's ground truth) and shows them over a checkerboard; the model's batched float
compositing is omnigame.model.compositing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

import numpy as np


@dataclass
class Layers:
    """Per-object RGBA layers of a video.

    rgba:           (L, N, H, W, 4) uint8, object layers (colour + alpha), object-major.
    background:     (N, H, W, 3) uint8, the background each frame was composited over.
    reconstruction: (N, H, W, 3) uint8, all layers composited back-to-front over the background.
    order:          (N, L) int, back-to-front object indices for each frame.
    object_names:   L names (mask folder or file stems).
    fps:            frame rate of the source video.
    metrics:        figures measured on this decomposition (e.g. reconstruction PSNR).
    homographies:   (N, 3, 3) the camera, world (the first frame's pixels) -> each frame's
                    pixels, when the video was decomposed on a stabilised canvas; else None.
    stabilised_background: (Hc, Wc, 3) uint8, the background on that canvas (a panorama of
                    the whole camera path), or None.
    """

    rgba: np.ndarray
    background: np.ndarray
    reconstruction: np.ndarray
    order: np.ndarray
    object_names: List[str]
    fps: float = 24.0
    metrics: Dict[str, float] = field(default_factory=dict)
    out_dir: Optional[str] = None
    homographies: Optional[np.ndarray] = None
    stabilised_background: Optional[np.ndarray] = None

    def __post_init__(self):
        L, N, H, W, C = self.rgba.shape
        if C != 4:
            raise ValueError(f"rgba must have 4 channels, got shape {self.rgba.shape}")
        if self.background.shape != (N, H, W, 3):
            raise ValueError(f"background shape {self.background.shape} != {(N, H, W, 3)}")
        if self.order.shape != (N, L):
            raise ValueError(f"order shape {self.order.shape} != {(N, L)}")

    @property
    def num_objects(self) -> int:
        return self.rgba.shape[0]

    @property
    def num_frames(self) -> int:
        return self.rgba.shape[1]

    @property
    def alpha(self) -> np.ndarray:
        """(L, N, H, W) float32 alpha in [0, 1]."""
        return self.rgba[..., 3].astype(np.float32) / 255.0

    def composite(self, background: Optional[np.ndarray] = None,
                  objects: Optional[List[int]] = None,
                  frames: Optional[Iterable[int]] = None) -> np.ndarray:
        """Composite the chosen objects back-to-front over `background`, frame by frame.

        background: (N, H, W, 3) or (H, W, 3) uint8; defaults to the decomposition's own.
        objects:    indices of objects to keep (others are removed); default all.
        frames:     which frames; default all.
        Returns (len(frames), H, W, 3) uint8.
        """
        bg = self.background if background is None else np.broadcast_to(
            background, self.background.shape)
        frames = list(range(self.num_frames) if frames is None else frames)
        return composite_layers(self.rgba[:, frames], self.order[frames], bg[frames], objects)


def composite_layers(rgba: np.ndarray, order: np.ndarray, background: np.ndarray,
                     objects: Optional[Iterable[int]] = None) -> np.ndarray:
    """Straight-alpha 8-bit layers rgba (L, N, H, W, 4) over background (N, H, W, 3) or
    (H, W, 3) uint8, back to front in each frame's order (N, L) -> (N, H, W, 3) uint8.

    Entries of `order` below 0 are empty slots; `objects` (indices) keeps only those objects.
    """
    N = rgba.shape[1]
    out = np.broadcast_to(background, (N,) + rgba.shape[2:4] + (3,)).astype(np.float32)
    keep = np.ones(rgba.shape[0], bool) if objects is None else np.isin(
        np.arange(rgba.shape[0]), list(objects))
    frames = np.arange(N)
    for slot in range(order.shape[1]):
        idx = order[:, slot]
        layer = rgba[np.maximum(idx, 0), frames].astype(np.float32)
        shown = (idx >= 0) & keep[np.maximum(idx, 0)]
        a = layer[..., 3:] / 255.0 * shown[:, None, None, None]
        out = layer[..., :3] * a + out * (1.0 - a)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def checkerboard(height: int, width: int, cell: int = 8) -> np.ndarray:
    """(H, W, 3) uint8 light/dark grey checks, the usual backdrop for transparency."""
    ys, xs = np.mgrid[:height, :width]
    light = (ys // cell + xs // cell) % 2 == 0
    return np.where(light[..., None], 204, 153).astype(np.uint8).repeat(3, -1)


def over_checkerboard(rgba: np.ndarray, cell: int = 8) -> np.ndarray:
    """(..., H, W, 4) uint8 straight RGBA -> (..., H, W, 3) uint8 shown over a checkerboard."""
    board = checkerboard(*rgba.shape[-3:-1], cell=cell)
    flat = rgba.reshape((1, -1) + rgba.shape[-3:])  # one object; every image is a frame of it
    order = np.zeros((flat.shape[1], 1), int)
    return composite_layers(flat, order, board).reshape(rgba.shape[:-1] + (3,))
