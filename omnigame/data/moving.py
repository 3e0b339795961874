"""Where the background itself moves: the weight of the alpha sparsity term in test-time training.

The sparsity term keeps a layer from taking what the background plate cannot explain: waves,
foliage, the error of a stabilised moving camera. Over a still background there is nothing of
that kind to keep out, and the term does harm instead: a faint effect (a reflection) is
ambiguous between a fainter alpha with a more contrasted colour and the true alpha, and the term
pulls it towards the fainter one for as long as training runs. On the development benchmark's
still plates, turning the term off raised association 0.763 -> 0.787 and effect IoU 0.931 ->
0.935; on real footage it let the layers take speckles of sand and sea (davis_kite-walk: alpha
above 0.1 on 1.2% of the pole layer's pixels far from its mask instead of 0.4%).

So `LossConfig.sparsity_where='moving'` weighs the term per pixel by how much the video's own
background changes there: the typical |frame - plate| with every object left out
(`omnigame.io.shadow_grow.still_noise`, a robust sigma over the frames), divided by
`moving_level` and capped at 1. 0.03 of full scale is the smallest change the effect IoU itself
counts as visible (a squared RGB distance of 63.75 is 8 grey levels in each channel).
"""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import torch

from ..io.shadow_grow import still_noise
from .prepare import PreparedVideo

log = logging.getLogger(__name__)
WHERE = ("everywhere", "moving")


def moving_map(video: PreparedVideo, level: float) -> torch.Tensor:
    """(1, H, W) float in [0, 1] at the model size: min(1, typical background change / level).
    Pixels off the canvas (a moving camera's `valid`) count as objects: left out."""
    if level <= 0:
        raise ValueError(f"train.loss.moving_level={level}: give a positive change, e.g. 0.03")
    hwc = lambda x: x.permute(0, 2, 3, 1).numpy()
    frames = hwc(video.frames)
    background = np.broadcast_to(hwc(video.background), frames.shape)
    covered = video.masks.numpy()
    if video.valid is not None:
        covered = np.concatenate([covered, ~video.valid[:, 0].numpy()[None]])
    noise = still_noise(frames, background, covered)
    return torch.from_numpy(np.minimum(noise / level, 1.0))[None].float()


def with_sparsity_map(video: PreparedVideo, where: str, level: float) -> PreparedVideo:
    """The video with its sparsity map for `where` ('everywhere': none, the term applies
    uniformly; 'moving': `moving_map`)."""
    if where not in WHERE:
        raise ValueError(f"train.loss.sparsity_where='{where}': choose one of {', '.join(WHERE)}")
    if where == "everywhere":
        return replace(video, sparsity_map=None)
    weight = moving_map(video, level)
    log.info("sparsity term where the background moves: mean weight %.2f, full on %.0f%% of "
             "the pixels", weight.mean().item(), 100 * (weight >= 1).float().mean().item())
    return replace(video, sparsity_map=weight)
