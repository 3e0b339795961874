"""From videos to training batches: resizing to the model size and cutting clips.

A clip is T frames spaced `gap` apart, some of them hidden. Every clip is a pure function of
(seed, index), so a run that resumes at step s draws exactly the batches an uninterrupted run
would, with no sampler state to save, and DataLoader workers can generate clips in parallel.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..config import ClipConfig
from ..io.video import InputError, Video


@dataclass
class PreparedVideo:
    """A video at the model size, as tensors (uint8/bool to keep long videos small).

    frames (N, 3, H, W) uint8; masks (L, N, H, W) bool; background (1 or N, 3, H, W) uint8;
    order (N, L) long; valid (N, 1, H, W) bool or None; object_valid (L,) bool;
    sparsity_map (1, H, W) float or None: where the sparsity term applies (omnigame.data.moving).
    """

    frames: torch.Tensor
    masks: torch.Tensor
    background: torch.Tensor
    order: torch.Tensor
    valid: Optional[torch.Tensor]
    object_valid: torch.Tensor
    sparsity_map: Optional[torch.Tensor] = None

    @property
    def num_frames(self) -> int:
        return self.frames.shape[0]


@dataclass
class Batch:
    """B clips of T frames, float in [0, 1] unless noted.

    frames (B, T, 3, H, W); masks (B, L, T, H, W); background (B, T, 3, H, W);
    order (B, T, L) long; visible (B, T) bool; valid (B, T, 1, H, W) or None;
    object_valid (B, L) bool; sparsity_map (B, 1, H, W) or None.
    """

    frames: torch.Tensor
    masks: torch.Tensor
    background: torch.Tensor
    order: torch.Tensor
    visible: torch.Tensor
    valid: Optional[torch.Tensor]
    object_valid: torch.Tensor
    sparsity_map: Optional[torch.Tensor] = None

    def to(self, device) -> "Batch":
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        return Batch(**{k: v.to(device) if v is not None else None for k, v in moved.items()})


def resize_images(x: torch.Tensor, size) -> torch.Tensor:
    """(N, C, H, W) uint8 -> (N, C, *size) uint8, antialiased bilinear."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    y = F.interpolate(x.float(), size=tuple(size), mode="bilinear", antialias=True,
                      align_corners=False)
    return y.round().clamp(0, 255).to(torch.uint8)


def resize_masks(m: torch.Tensor, size) -> torch.Tensor:
    """(N, H, W) bool -> (N, *size) bool: area-weighted, then thresholded at one half."""
    if tuple(m.shape[-2:]) == tuple(size):
        return m
    y = F.interpolate(m[:, None].float(), size=tuple(size), mode="bilinear", antialias=True,
                      align_corners=False)
    return y[:, 0] >= 0.5


def prepare(video: Video, background: np.ndarray, size) -> PreparedVideo:
    """Resize a video and its background (H, W, 3) or (N, H, W, 3) to the model size (H, W)."""
    chw = lambda a: torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2)
    frames = resize_images(chw(video.frames), size)
    masks = torch.stack([resize_masks(torch.from_numpy(m), size) for m in video.masks])
    bg = background[None] if background.ndim == 3 else background
    valid = None
    if video.valid is not None:
        valid = resize_masks(torch.from_numpy(video.valid), size)[:, None]
    return PreparedVideo(frames, masks, resize_images(chw(bg), size),
                         torch.from_numpy(video.order).long(), valid,
                         torch.from_numpy(np.asarray(video.object_valid, dtype=bool)))


def model_size(video_hw, cfg_size, keep_aspect: bool):
    """The model's (H, W): cfg_size, or width cfg_size[1] and the video's aspect, both /16."""
    check_size(cfg_size)
    H, W = cfg_size
    if keep_aspect:
        h, w = video_hw
        H = max(16, int(round(W * h / w / 16)) * 16)
    return H, W


def check_size(size) -> None:
    """The encoders halve the image four times: H and W must be positive multiples of 16."""
    size = list(size)
    if len(size) != 2 or any(not isinstance(s, int) or s < 16 or s % 16 for s in size):
        raise ValueError(f"input.size (the `size` option) = {size}: give [H, W], both positive "
                         f"multiples of 16 such as [64, 112] or [128, 224]")


def hide_pattern(cfg: ClipConfig, rng: np.random.Generator) -> np.ndarray:
    """(T,) bool visible flags with cfg.hidden frames hidden, by cfg.hide_mode."""
    T, k = cfg.length, cfg.hidden
    if not 0 < k < T:
        raise ValueError(f"clip.hidden={k} must be between 1 and clip.length-1={T - 1}")
    visible = np.ones(T, dtype=bool)
    if cfg.hide_mode == "random":
        visible[rng.choice(T, size=k, replace=False)] = False
    elif cfg.hide_mode == "predict":  # hide the last k, or (half the time) the first k
        visible[T - k:] = False
        if rng.random() < 0.5:
            visible = visible[::-1].copy()
    elif cfg.hide_mode == "inpaint":
        start = (T - k) // 2
        visible[start:start + k] = False
    else:
        raise ValueError(f"unknown clip.hide_mode '{cfg.hide_mode}' (random|predict|inpaint)")
    return visible


def clip_span(cfg: ClipConfig) -> int:
    return (cfg.length - 1) * cfg.gap + 1


def check_long_enough(num_frames: int, cfg: ClipConfig, source: str = "video") -> None:
    if num_frames < clip_span(cfg):
        raise InputError(
            f"{source}: {num_frames} frames, but one clip of {cfg.length} frames spaced "
            f"{cfg.gap} apart needs {clip_span(cfg)}; give a longer video or lower "
            f"train.clip.gap (e.g. train.clip.gap=1 needs {cfg.length} frames)")


def crop_box(H: int, W: int, rng: np.random.Generator, prob: float):
    """The reference's augmentation: with probability `prob`, a <=10% zoom (top <=5%)."""
    if rng.random() >= prob:
        return 0, H, 0, W
    u = rng.uniform(0.0, 0.1, size=4)
    top, bottom = int(0.5 * u[0] * H), H - int(u[1] * H)
    left, right = int(u[2] * W), W - int(u[3] * W)
    return top, bottom, left, right
