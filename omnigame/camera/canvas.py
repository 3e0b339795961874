"""One stabilised canvas for the whole camera path: frames onto it, layers back off it.

The canvas is the world (the first frame's pixel grid) shifted so that it starts at the top-left
of everything the camera saw, and scaled down if that area is more than `max_area` frames. A
canvas pixel c shows world point (c + offset) / scale, which the camera saw at pixel
H_t ((c + offset) / scale) of frame t: `Canvas.to_frame[t]` is that (3, 3) map.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import torch

from ..io.video import Video
from .estimate import CameraPath
from .homography import apply, scale_matrix, translation, warp

log = logging.getLogger(__name__)


@dataclass
class Canvas:
    """height, width: the canvas in pixels; to_frame (N, 3, 3): canvas pixel -> frame t pixel;
    frame_size (H, W) of the video."""

    height: int
    width: int
    to_frame: np.ndarray
    frame_size: Tuple[int, int]

    @property
    def size(self) -> Tuple[int, int]:
        return self.height, self.width

    def from_frame(self, size=None) -> np.ndarray:
        """(N, 3, 3) frame pixel -> pixel of the canvas resized to `size` (default: as is)."""
        S = scale_matrix(self.size, size or self.size)
        return S[None] @ np.linalg.inv(self.to_frame)


def make_canvas(path: CameraPath, max_area: float = 4.0) -> Canvas:
    """The smallest canvas holding every frame of `path` (in pixels of its frames)."""
    h, w = path.size
    corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], np.float64)
    world = apply(np.linalg.inv(path.homographies), corners[None])  # (N, 4, 2)
    lo, hi = np.floor(world.min((0, 1))), np.ceil(world.max((0, 1)))
    span = hi - lo + 1
    scale = min(1.0, math.sqrt(max_area * h * w / (span[0] * span[1])))
    if scale < 1.0:
        log.warning("camera: the path covers %.1f frames of area; the canvas is scaled by "
                    "%.2f to hold %.0f (layers lose some detail)",
                    span.prod() / (h * w), scale, max_area)
    width, height = (int(math.ceil(v * scale)) for v in span)
    # canvas pixel c -> world (c / scale) + lo -> frame pixel
    world_of_canvas = translation(*lo) @ np.diag([1 / scale, 1 / scale, 1.0])
    return Canvas(height, width, path.homographies @ world_of_canvas, (h, w))


def stabilise(video: Video, canvas: Canvas, chunk: int = 8) -> Video:
    """The video seen on the canvas: frames, masks and `valid` (what frame t covers)."""
    N = video.num_frames
    frames = np.zeros((N,) + canvas.size + (3,), np.uint8)
    masks = np.zeros((video.num_objects, N) + canvas.size, bool)
    valid = np.zeros((N,) + canvas.size, bool)
    for s in range(0, N, chunk):
        part = slice(s, min(N, s + chunk))
        H = torch.from_numpy(canvas.to_frame[part])
        picture = torch.from_numpy(video.frames[part]).permute(0, 3, 1, 2).double()
        seen = torch.from_numpy(np.concatenate(
            [video.masks[:, part].transpose(1, 0, 2, 3), _valid_of(video, part)], 1)).double()
        out, covered = warp(torch.cat([picture, seen], 1), H, canvas.size)
        frames[part] = out[:, :3].round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
        # a pixel is valid only if all four pixels it blends are: no black seeps in at edges
        valid[part] = (covered & (out[:, -1] > 0.999)).numpy()
        masks[:, part] = (out[:, 3:-1] >= 0.5).numpy().transpose(1, 0, 2, 3) & valid[part][None]
    frames[~valid] = 0
    return Video(frames, masks, video.order, None, valid, video.fps, list(video.object_names),
                 list(video.frame_names), video.source, video.object_valid)


def _valid_of(video: Video, part: slice) -> np.ndarray:
    n = part.stop - part.start
    if video.valid is None:
        return np.ones((n, 1) + video.size, bool)
    return video.valid[part][:, None]


def to_frames(images: torch.Tensor, canvas: Canvas, frames: range) -> torch.Tensor:
    """Canvas images (n, C, h, w) at any size -> (n, C, H, W) in frames `frames`, bilinear."""
    G = canvas.from_frame(tuple(images.shape[-2:]))[frames.start:frames.stop]
    out, _ = warp(images.double(), torch.from_numpy(G), canvas.frame_size)
    return out.to(images.dtype)


def model_canvas_size(model_size, frame_size, canvas: Canvas) -> Tuple[int, int]:
    """The model size for the canvas: the frame's model size scaled by canvas / frame, so the
    model sees the scene at the detail it would see a frame (multiples of 16)."""
    (mh, mw), (fh, fw) = model_size, frame_size
    # rounded up: never less detail than a frame gets (0.1 slack for float error)
    return (max(16, math.ceil(mh * canvas.height / fh / 16 - 0.1) * 16),
            max(16, math.ceil(mw * canvas.width / fw / 16 - 0.1) * 16))


def background_in_frames(background: np.ndarray, canvas: Canvas, chunk: int = 16) -> np.ndarray:
    """The canvas background (Hc, Wc, 3) uint8 as each frame sees it -> (N, H, W, 3) uint8."""
    N = len(canvas.to_frame)
    out = np.empty((N,) + tuple(canvas.frame_size) + (3,), np.uint8)
    plate = torch.from_numpy(background).permute(2, 0, 1)[None].double()
    for s in range(0, N, chunk):
        part = range(s, min(N, s + chunk))
        seen = to_frames(plate.expand(len(part), -1, -1, -1), canvas, part)
        out[s:part.stop] = seen.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    return out
