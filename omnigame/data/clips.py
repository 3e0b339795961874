"""An endless, deterministic stream of training clips over one or many videos.

Clip i is drawn with its own random generator seeded by (seed, i): which video, where the
clip starts, which frames are hidden and how it is cropped. The training loop asks for clips
step * batch_size ... (step + 1) * batch_size - 1, so resuming needs only the step number.
"""
from __future__ import annotations

from typing import List, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from .background import video_background
from ..config import ClipConfig
from .prepare import (Batch, PreparedVideo, check_long_enough, clip_span, crop_box, hide_pattern,
                   prepare)
from ..io.video import Video

STREAM_LENGTH = 2 ** 62


class ClipDataset(torch.utils.data.Dataset):
    """clip i -> dict of tensors for one clip (see `collate`).

    videos: a sequence of PreparedVideo (test-time training: one video), or of `Video`
    (e.g. a synthetic scene stream), which are prepared at `size` when drawn.

    clips_per_video: consecutive clips k*n ... k*n + k-1 share one video drawn for group n
    (different starts, hidden frames and crops), which is prepared once per worker. Generating
    a synthetic scene costs ~0.2 s of CPU, so an accelerator that trains on one fresh scene per
    clip waits for the data; 1 (default) draws every clip's video on its own.
    """

    def __init__(self, videos: Sequence[Union[PreparedVideo, Video]], clip: ClipConfig,
                 size, seed: int = 0, crop_prob: float = 0.8, clips_per_video: int = 1):
        if len(videos) == 0:
            raise ValueError("ClipDataset needs at least one video")
        if clips_per_video < 1:
            raise ValueError(f"clips_per_video must be >= 1, got {clips_per_video}")
        self.videos, self.clip, self.size = videos, clip, tuple(size)
        self.seed, self.crop_prob = seed, crop_prob
        self.clips_per_video = int(clips_per_video)
        self._last = (None, None)  # (group, prepared video): the worker's one-video cache

    def __len__(self) -> int:
        return STREAM_LENGTH

    def _video(self, rng: np.random.Generator, i: int) -> PreparedVideo:
        if self.clips_per_video == 1:
            return self._prepared(int(rng.integers(len(self.videos))))
        group = i // self.clips_per_video
        if self._last[0] != group:
            pick = np.random.default_rng([self.seed, group, 1]).integers(len(self.videos))
            self._last = (group, self._prepared(int(pick)))
        return self._last[1]

    def _prepared(self, index: int) -> PreparedVideo:
        v = self.videos[index]
        if isinstance(v, PreparedVideo):
            return v
        return prepare(v, video_background(v)[0], self.size)

    def __getitem__(self, i: int) -> dict:
        rng = np.random.default_rng([self.seed, int(i)])
        v = self._video(rng, int(i))
        check_long_enough(v.num_frames, self.clip)
        start = int(rng.integers(0, v.num_frames - clip_span(self.clip) + 1))
        idx = torch.arange(self.clip.length) * self.clip.gap + start
        visible = torch.from_numpy(hide_pattern(self.clip, rng))
        H, W = v.frames.shape[-2:]
        box = crop_box(H, W, rng, self.crop_prob)
        bg = v.background[idx] if v.background.shape[0] > 1 else v.background.expand(
            len(idx), -1, -1, -1)
        item = {
            "frames": _crop(v.frames[idx].float() / 255.0, box),
            "masks": _crop(v.masks[:, idx].float(), box, binary=True),
            "background": _crop(bg.float() / 255.0, box),
            "order": v.order[idx],
            "visible": visible,
            "object_valid": v.object_valid,
        }
        if v.valid is not None:
            item["valid"] = _crop(v.valid[idx].float(), box, binary=True)
        if v.sparsity_map is not None:
            item["sparsity_map"] = _crop(v.sparsity_map, box)
        return item


def _crop(x: torch.Tensor, box, binary: bool = False) -> torch.Tensor:
    """x (..., H, W): crop to box (top, bottom, left, right) and resize back to (H, W)."""
    top, bottom, left, right = box
    H, W = x.shape[-2:]
    if (top, bottom, left, right) == (0, H, 0, W):
        return x
    lead = x.shape[:-2]
    y = x[..., top:bottom, left:right].reshape(-1, 1, bottom - top, right - left)
    y = F.interpolate(y, size=(H, W), mode="bilinear", align_corners=False).reshape(*lead, H, W)
    return (y >= 0.5).float() if binary else y


def collate(items: List[dict]) -> Batch:
    """Stack clips; videos with fewer objects are padded with empty, invalid slots."""
    L = max(it["masks"].shape[0] for it in items)
    stack = lambda key: torch.stack([it[key] for it in items])
    masks = torch.stack([_pad(it["masks"], L) for it in items])
    order = torch.stack([_pad_order(it["order"], L) for it in items])
    object_valid = torch.stack([_pad(it["object_valid"], L) for it in items])
    valid = None
    if any("valid" in it for it in items):
        valid = torch.stack([it.get("valid", torch.ones_like(it["frames"][:, :1]))
                             for it in items])
    maps = None
    if any("sparsity_map" in it for it in items):  # a clip without one: the term everywhere
        maps = torch.stack([it.get("sparsity_map", torch.ones_like(it["frames"][0, :1]))
                            for it in items])
    return Batch(stack("frames"), masks, stack("background"), order, stack("visible"), valid,
                 object_valid, maps)


def _pad(x: torch.Tensor, L: int) -> torch.Tensor:
    if x.shape[0] == L:
        return x
    return torch.cat([x, x.new_zeros((L - x.shape[0],) + tuple(x.shape[1:]))])


def _pad_order(order: torch.Tensor, L: int) -> torch.Tensor:
    """(T, l) -> (T, L): padding objects go to the back, where their empty layers do nothing."""
    T, l = order.shape
    if l == L:
        return order
    pad = torch.arange(l, L).expand(T, L - l)
    return torch.cat([pad, order], dim=1)
