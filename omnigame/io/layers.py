"""The result of a decomposition: one RGBA layer per object plus a background.

Arrays are numpy, channel-last, 8-bit, at the resolution of the input video, so they hold
exactly what the written PNGs hold and can be recomposited without the model.
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
    """

    rgba: np.ndarray
    background: np.ndarray
    reconstruction: np.ndarray
    order: np.ndarray
    object_names: List[str]
    fps: float = 24.0
    metrics: Dict[str, float] = field(default_factory=dict)
    out_dir: Optional[str] = None

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
        keep = set(range(self.num_objects) if objects is None else objects)
        frames = list(range(self.num_frames) if frames is None else frames)
        out = np.empty((len(frames),) + self.background.shape[1:], np.uint8)
        for i, f in enumerate(frames):
            acc = bg[f].astype(np.float32) / 255.0
            for obj in self.order[f]:
                if obj in keep:
                    layer = self.rgba[obj, f].astype(np.float32) / 255.0
                    a = layer[..., 3:]
                    acc = layer[..., :3] * a + acc * (1.0 - a)
            out[i] = np.clip(np.round(acc * 255.0), 0, 255).astype(np.uint8)
        return out
