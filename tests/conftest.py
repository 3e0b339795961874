"""Shared fixtures: a tiny model configuration and tiny videos that are built, not downloaded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from omnigame.conf import CONF_DIR
from omnigame.config import ModelConfig
from omnigame.io.video import Video


TINY_MODEL = OmegaConf.to_container(OmegaConf.load(Path(CONF_DIR) / "model" / "tiny.yaml"))


def tiny_model_config(size=(32, 48), skip=False) -> ModelConfig:
    """The tiny model of preset=tiny (conf/model/tiny.yaml): fast enough for unit tests."""
    return ModelConfig(image_size=list(size), skip=skip, **TINY_MODEL)


def textured_background(H: int, W: int) -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    bg = np.stack([120 + 60 * np.sin(xx / 7.0), 100 + 50 * np.cos(yy / 5.0),
                   90 + 40 * np.sin((xx + yy) / 9.0)], -1)
    return bg.clip(0, 255).astype(np.uint8)


def disc_video(N=16, H=32, W=48, objects=2, seed=0) -> Video:
    """Discs moving over a textured background; masks are exact."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:H, :W]
    bg = textured_background(H, W)
    frames = np.repeat(bg[None], N, 0).copy()
    masks = np.zeros((objects, N, H, W), bool)
    for o in range(objects):
        x0, y0, vx = rng.uniform(5, W - 5), rng.uniform(5, H - 5), rng.uniform(-1, 1)
        colour = rng.integers(0, 255, 3)
        for t in range(N):
            disc = (xx - x0 - vx * t) ** 2 + (yy - y0) ** 2 < (min(H, W) / 6) ** 2
            masks[o, t] = disc
            frames[t][disc] = colour
    order = np.tile(np.arange(objects), (N, 1))
    return Video(frames, masks, order, background=bg, fps=12.0)


@pytest.fixture
def tiny_config():
    return tiny_model_config()


def shadow_video(N=16, H=64, W=64):
    """One red disc walking right, casting a flat dark shadow below-right of it, outside its
    mask, over a static textured background. Returns the video and the shadow masks (N, H, W)."""
    yy, xx = np.mgrid[:H, :W]
    bg = textured_background(H, W)
    frames, masks, shadows = [], [], []
    for t in range(N):
        cx, cy = 12 + 2.5 * t, 0.4 * H
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < (H / 8) ** 2
        shadow = (((xx - cx - 8) / 12.0) ** 2 + ((yy - cy - 14) / 3.0) ** 2 < 1) & ~disc
        img = bg.astype(np.float64)
        img[shadow] *= 0.45
        img[disc] = [220, 40, 40]
        frames.append(img.round().astype(np.uint8))
        masks.append(disc)
        shadows.append(shadow)
    video = Video(np.stack(frames), np.stack(masks)[None], np.zeros((N, 1), np.int64),
                  background=bg, fps=12.0)
    return video, np.stack(shadows)


def random_loss_inputs(B=2, L=2, K=3, H=8, W=8):
    """Seeded (rgba, target, background, masks, order) for total_loss: (B, L, K, 4, H, W),
    (B, K, 3, H, W) twice, (B, L, K, H, W) with ~30% of pixels masked, (B, K, L)."""
    import torch
    g = torch.Generator().manual_seed(0)
    rgba = torch.rand(B, L, K, 4, H, W, generator=g)
    target, bg = torch.rand(B, K, 3, H, W, generator=g), torch.rand(B, K, 3, H, W, generator=g)
    masks = (torch.rand(B, L, K, H, W, generator=g) > 0.7).float()
    return rgba, target, bg, masks, torch.arange(L).expand(B, K, L)
