"""The sparsity term weighted by where the background moves (LossConfig.sparsity_where='moving'):
the map, its way through clips and batches, and its effect on the loss."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import disc_video, random_loss_inputs, textured_background
from omnigame.config import ClipConfig, LossConfig
from omnigame.data.clips import ClipDataset, collate
from omnigame.data.moving import moving_map, with_sparsity_map
from omnigame.data.prepare import prepare
from omnigame.training.losses import total_loss


def waves_video(N=12, H=32, W=48):
    """A still textured plate whose top third flickers (waves) and one disc (the object)."""
    video = disc_video(N=N, H=H, W=W, objects=1)
    rng = np.random.default_rng(1)
    video.frames[:, :H // 3] = np.clip(video.frames[:, :H // 3].astype(int)
                                       + rng.integers(-40, 41, (N, H // 3, W, 1)), 0, 255)
    return video, textured_background(H, W)


def test_map_is_full_where_the_background_moves_and_zero_where_still():
    video, plate = waves_video()
    m = moving_map(prepare(video, plate, (32, 48)), level=0.03)[0]
    assert m.shape == (32, 48)
    assert m[:10].mean() > 0.9  # the flickering band
    still = torch.from_numpy(~video.masks.any((0, 1)))  # never under the disc
    still[:12] = False  # below the flickering band
    assert m[still].max() == 0.0  # the still plate, the disc's path left out


def test_the_objects_own_change_is_no_motion():
    # the disc covers different pixels over time; where it passes, the plate is still
    prepared = prepare(disc_video(N=12, objects=1), textured_background(32, 48), (32, 48))
    assert moving_map(prepared, 0.03).max() == 0.0


def test_zero_map_removes_the_term_and_ones_keep_it():
    rgba, target, bg, masks, order = random_loss_inputs()
    B, H, W = rgba.shape[0], rgba.shape[-2], rgba.shape[-1]
    cfg = LossConfig(sparsity_weight=0.05)
    plain = total_loss(rgba, target, bg, masks, order, cfg, 0.5)
    ones = total_loss(rgba, target, bg, masks, order, cfg, 0.5, sparsity_map=torch.ones(B, 1, H, W))
    half = torch.ones(B, 1, H, W)
    half[..., :4] = 0.0
    part = total_loss(rgba, target, bg, masks, order, cfg, 0.5, sparsity_map=half)
    zero = total_loss(rgba, target, bg, masks, order, cfg, 0.5, sparsity_map=torch.zeros(B, 1, H, W))
    assert torch.allclose(ones["sparsity"], plain["sparsity"]) and plain["sparsity"] > 0
    assert 0 < part["sparsity"] < plain["sparsity"]
    assert zero["sparsity"] == 0 and torch.allclose(zero["recon"], plain["recon"])


def test_map_travels_with_the_clip_crop_into_the_batch():
    video, plate = waves_video(N=16)
    prepared = with_sparsity_map(prepare(video, plate, (32, 48)), "moving", 0.03)
    data = ClipDataset([prepared], ClipConfig(), (32, 48), seed=0, crop_prob=1.0)
    batch = collate([data[i] for i in range(3)])
    assert batch.sparsity_map.shape == (3, 1, 32, 48)
    # cropped (zoomed <= 10%): the moving band stays at the top
    assert batch.sparsity_map[:, 0, :8].mean() > 0.8 and batch.sparsity_map[:, 0, 20:].mean() < 0.1
    assert collate([data[0]]).sparsity_map is not None
    plain = ClipDataset([prepare(video, plate, (32, 48))], ClipConfig(), (32, 48))
    assert collate([plain[0]]).sparsity_map is None


def test_everywhere_has_no_map_and_a_typo_is_refused():
    video, plate = waves_video()
    prepared = prepare(video, plate, (32, 48))
    assert with_sparsity_map(prepared, "everywhere", 0.03).sparsity_map is None
    with pytest.raises(ValueError, match="sparsity_where='moveing'"):
        with_sparsity_map(prepared, "moveing", 0.03)
    with pytest.raises(ValueError, match="moving_level"):
        moving_map(prepared, 0.0)
