"""A video with per-object masks: what every stage of omnigame consumes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np


class InputError(ValueError):
    """Bad user input: the message names the file and the fix."""


@dataclass
class Video:
    """Frames and per-object masks of one clip, channel-last numpy, at one resolution.

    frames:       (N, H, W, 3) uint8.
    masks:        (L, N, H, W) bool, one binary mask per object per frame.
    order:        (N, L) int64, object indices listed back-to-front for each frame.
    background:   (H, W, 3) uint8 static plate, or (N, H, W, 3) per frame, or None (estimate it).
    valid:        (N, H, W) bool pixels that carry image content (e.g. after stabilisation), or None.
    object_valid: (L,) bool; False marks padding slots (no object) in batched synthetic data.
    """

    frames: np.ndarray
    masks: np.ndarray
    order: np.ndarray
    background: Optional[np.ndarray] = None
    valid: Optional[np.ndarray] = None
    fps: float = 24.0
    object_names: List[str] = field(default_factory=list)
    frame_names: List[str] = field(default_factory=list)
    source: str = "<memory>"
    object_valid: Optional[np.ndarray] = None

    def __post_init__(self):
        N, H, W, _ = self.frames.shape
        L = self.masks.shape[0]
        if self.masks.shape[1:] != (N, H, W):
            raise InputError(f"{self.source}: masks have shape {self.masks.shape[1:]} but frames "
                             f"are {(N, H, W)}; give one mask per frame at the frame size")
        if self.order.shape != (N, L):
            raise InputError(f"{self.source}: order has shape {self.order.shape}, expected {(N, L)}")
        if not self.object_names:
            self.object_names = [f"{i + 1:02d}" for i in range(L)]
        if not self.frame_names:
            self.frame_names = [f"{i:05d}" for i in range(N)]
        if self.object_valid is None:
            self.object_valid = np.ones(L, dtype=bool)

    @property
    def num_frames(self) -> int:
        return self.frames.shape[0]

    @property
    def num_objects(self) -> int:
        return self.masks.shape[0]

    @property
    def size(self):
        """(H, W)."""
        return self.frames.shape[1:3]
