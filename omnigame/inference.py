"""Layers for every frame of a video, the first and last ones included.

Each target frame f gets its own clip of T frames spaced `gap` apart that contains f, placed as
centrally as the video's ends allow. f is hidden, as are the frames furthest from it; the
frames nearest to it are shown. Only f's layers are decoded.

Encoders see one image at a time (instance norm is per image), so each frame and each mask is
encoded once and the encodings are shared by all clips that use them; only the encodings of the
current window of frames are kept, so memory does not grow with the video's length.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import ClipConfig
from .data.prepare import PreparedVideo
from .model.network import OmnigameModel


def inference_gap(num_frames: int, clip: ClipConfig) -> int:
    """The largest gap <= clip.gap at which every frame has a clip around it."""
    gap = clip.gap
    while gap > 1 and num_frames < clip.length * gap:
        gap -= 1
    if num_frames < (clip.length - 1) * gap + 1:
        raise ValueError(f"{num_frames} frames are too few for a clip of {clip.length}")
    return gap


def clip_for_frame(f: int, num_frames: int, clip: ClipConfig, gap: int,
                   place: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray, int]:
    """-> (frame indices (T,), visible flags (T,), position of f in the clip). place: f's
    position when the video's ends allow it (default the middle, T // 2)."""
    T = clip.length
    last_start = num_frames - 1 - (T - 1) * gap
    k_lo = max(0, -(-(f - last_start) // gap))
    k_hi = min(T - 1, f // gap)
    k = min(max(T // 2 if place is None else place, k_lo), k_hi)
    frames = f + (np.arange(T) - k) * gap
    # Show the T - hidden frames nearest to f (ties: earlier first); hide the rest, f included.
    by_distance = sorted((i for i in range(T) if i != k), key=lambda i: (abs(i - k), i))
    visible = np.zeros(T, dtype=bool)
    visible[by_distance[: T - clip.hidden]] = True
    return frames, visible, k


class FeatureCache:
    """Encodings of frames and masks, computed once each and dropped when the window passes."""

    def __init__(self, model: OmnigameModel, video: PreparedVideo, device, dtype):
        self.model, self.video, self.device, self.dtype = model, video, device, dtype
        self.frames: Dict[int, Tuple[torch.Tensor, torch.Tensor]] = {}
        self.masks: Dict[int, torch.Tensor] = {}
        blank = torch.zeros((1, 1, 3) + tuple(video.frames.shape[-2:]), device=device, dtype=dtype)
        feats, skip = model.encode_frames(blank)
        self.blank = (feats[0, 0], skip[0, 0])

    def ensure(self, needed: List[int]) -> None:
        for f in [f for f in list(self.frames) if f < min(needed)]:
            del self.frames[f], self.masks[f]
        todo = sorted(set(needed) - set(self.frames))
        if not todo:
            return
        idx = torch.tensor(todo)
        frames = self.video.frames[idx].to(self.device, self.dtype)[None] / 255.0
        feats, skip = self.model.encode_frames(frames)  # (1, n, D, h, w)
        masks = self.video.masks[:, idx].to(self.device, self.dtype)[None]
        mfeats = self.model.encode_masks(masks)  # (1, L, n, D, h, w)
        for j, f in enumerate(todo):
            self.frames[f] = (feats[0, j], skip[0, j])
            self.masks[f] = mfeats[0, :, j]

    def clip_features(self, frames: np.ndarray, visible: np.ndarray):
        """-> frame feats (T, D, h, w), skip (T, S, ...), mask feats (L, T, D, h, w)."""
        pairs = [self.frames[f] if v else self.blank for f, v in zip(frames, visible)]
        feats = torch.stack([p[0] for p in pairs])
        skip = torch.stack([p[1] for p in pairs])
        return feats, skip, torch.stack([self.masks[f] for f in frames], dim=1)


@torch.no_grad()
def infer_layers(model: OmnigameModel, video: PreparedVideo, clip: ClipConfig,
                 batch_frames: int = 8, device="cpu", progress: bool = True) -> torch.Tensor:
    """-> RGBA layers (L, N, 4, H, W) float in [0, 1] on the CPU, at the model size."""
    model.eval()  # dropout off: the same input gives the same layers (the reference keeps it on)
    dtype = next(model.parameters()).dtype
    N = video.num_frames
    gap = inference_gap(N, clip)
    cache = FeatureCache(model, video, device, dtype)
    out = torch.empty((video.masks.shape[0], N, 4) + tuple(video.frames.shape[-2:]))
    bar = tqdm(total=N, desc="layers", unit="frame", disable=not progress, dynamic_ncols=True)
    for targets in _chunks(range(N), batch_frames):
        clips = [clip_for_frame(f, N, clip, gap) for f in targets]
        cache.ensure(sorted({int(i) for c in clips for i in c[0]}))
        parts = [cache.clip_features(frames, visible) for frames, visible, _ in clips]
        feats, skip, masks = (torch.stack(p) for p in zip(*parts))
        visible = torch.from_numpy(np.stack([c[1] for c in clips])).to(device)
        decode = torch.tensor([[c[2]] for c in clips], device=device)
        rgba = model.layers_from_features(feats, skip, masks, visible, decode)  # (B, L, 1, ...)
        out[:, targets[0]:targets[-1] + 1] = rgba[:, :, 0].transpose(0, 1).float().cpu()
        bar.update(len(targets))
    bar.close()
    return out


def _chunks(seq, n: int) -> Iterator[List[int]]:
    seq = list(seq)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]
