"""The camera path of a video, estimated from its background pixels alone.

Each frame is aligned (omnigame.camera.align) to a keyframe, starting from the previous frame's
estimate moved on by the last frame-to-frame motion. The first frame is the first keyframe; when
less than `min_overlap` of the keyframe stays in view, the previous frame becomes the keyframe.
Aligning to a keyframe rather than to the previous frame keeps the error from adding up frame
after frame: it adds up only once per keyframe change.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .align import align
from .homography import apply, grid_points, rescale

log = logging.getLogger(__name__)


@dataclass
class CameraPath:
    """Per-frame homographies from the world (the first frame's pixels) to each frame's pixels.

    homographies: (N, 3, 3) float64; frame 0 is the identity.
    size:         (H, W) of the frames the homographies are in pixels of.
    residual:     (N,) robust mean absolute difference (grey levels, 0-255) between each
                  frame and its keyframe on the background after alignment; NaN if unknown
                  (a user's file, or frame 0).
    source:       'estimated', or the file it was read from.
    """

    homographies: np.ndarray
    size: tuple
    residual: np.ndarray
    source: str = "estimated"

    @property
    def num_frames(self) -> int:
        return len(self.homographies)

    def motion_px(self) -> float:
        """The largest RMS displacement of a frame's pixels from the first frame's."""
        pts = grid_points(*self.size, step=8)
        moved = apply(np.linalg.inv(self.homographies), pts[None]) - pts[None]
        return float(np.sqrt((moved ** 2).sum(-1).mean(-1)).max())

    def resized(self, size) -> "CameraPath":
        """The same camera in pixels of the frames resized to `size` (H, W)."""
        return CameraPath(rescale(self.homographies, self.size, size), tuple(size),
                          self.residual, self.source)


def estimate_camera(frames: np.ndarray, masks: np.ndarray, max_width: int = 320,
                    min_overlap: float = 0.75, dilate: int = 7,
                    progress: bool = True) -> CameraPath:
    """frames (N, H, W, 3) uint8, masks (L, N, H, W) bool -> the CameraPath of the video.

    The alignment runs on frames at most `max_width` wide (the result is in pixels of the
    input); object pixels, grown by `dilate` pixels, are ignored.
    """
    N, H, W, _ = frames.shape
    images, weight = _working_images(frames, masks, max_width, dilate)
    size = tuple(images.shape[-2:])
    Hs = np.repeat(np.eye(3)[None], N, 0)
    residual = np.full(N, np.nan)
    key, velocity = 0, np.eye(3)
    for t in tqdm(range(1, N), desc="camera", unit="frame", disable=not progress,
                  dynamic_ncols=True):
        guess = velocity @ Hs[t - 1]
        if key != t - 1 and _overlap(guess @ np.linalg.inv(Hs[key]), size) < min_overlap:
            key = t - 1
        G, residual[t] = align(images[key], images[t], weight[key], weight[t],
                               guess @ np.linalg.inv(Hs[key]))
        Hs[t] = G @ Hs[key]
        Hs[t] /= Hs[t, 2, 2]
        velocity = Hs[t] @ np.linalg.inv(Hs[t - 1])
    path = CameraPath(Hs, size, residual).resized((H, W))
    log.info("camera: motion up to %.1f px, alignment residual %.1f grey levels (median)",
             path.motion_px(), np.nanmedian(residual) if N > 1 else 0.0)
    return path


def _working_images(frames: np.ndarray, masks: np.ndarray, max_width: int, dilate: int):
    """Frames (N, 3, h, w) in [0, 1] and background weights (N, h, w) at the working size."""
    N, H, W, _ = frames.shape
    scale = min(1.0, max_width / W)
    size = (max(16, round(H * scale)), max(16, round(W * scale)))
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    colour = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    objects = torch.from_numpy(np.asarray(masks, bool).any(0)).float()[:, None]
    objects = F.interpolate(objects, size=size, mode="bilinear", align_corners=False)
    k = 2 * max(1, round(dilate * scale)) + 1
    grown = F.max_pool2d(objects, k, stride=1, padding=k // 2)
    return colour.double(), (grown[:, 0] < 0.01).double()


def _overlap(G: np.ndarray, size) -> float:
    """Share of a keyframe's pixels that G (keyframe -> frame) keeps inside the frame."""
    h, w = size
    p = apply(G, grid_points(h, w, step=8))
    return float(((p[:, 0] >= 0) & (p[:, 0] <= w - 1) & (p[:, 1] >= 0) & (p[:, 1] <= h - 1)).mean())

