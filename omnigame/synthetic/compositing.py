"""Porter-Duff 'over' for premultiplied float layers while rendering, and the 8-bit quantisation.

The rendered frame is computed FROM the 8-bit layers and the 8-bit plate with
omnigame.io.layers.composite_layers (the one 8-bit compositor, also used for results), so the
written ground truth recomposites to the written frames up to the final rounding (<= 1 level).
"""
from __future__ import annotations

import numpy as np
import torch


def over(front: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA (..., 4, H, W) float: front over back."""
    return front + (1.0 - front[..., 3:4, :, :]) * back


def to_uint8_rgba(premult: np.ndarray) -> np.ndarray:
    """(..., 4, H, W) premultiplied float -> (..., H, W, 4) straight-alpha uint8 (RGB 0 where a=0)."""
    t = torch.from_numpy(np.ascontiguousarray(premult, dtype=np.float32))
    out = torch.empty_like(t)
    alpha = torch.clamp(t[..., 3:4, :, :], 0.0, 1.0, out=out[..., 3:4, :, :])
    # below half a level the alpha rounds to 0: colour there is meaningless, write black
    visible = alpha >= 0.5 / 255
    scale = visible * (255.0 / alpha.clamp_min(0.5 / 255))
    torch.mul(t[..., :3, :, :], scale, out=out[..., :3, :, :]).clamp_(0.0, 255.0)
    out[..., 3:4, :, :] *= 255.0
    return out.round_().to(torch.uint8).movedim(-3, -1).contiguous().numpy()


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] -> uint8 of the same shape."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
