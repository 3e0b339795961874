"""CNN decoder: transformer features of one object in one frame -> an RGBA layer.

convt256-convt128-convt64-convt64-conv4 (seed section 1): 4x4 stride-2 transposed convolutions
with InstanceNorm and ReLU, then a 3x3 convolution to 4 channels and tanh.

The reference clamps the pre-activation to [-3, 3] before the tanh. A plain clamp passes no
gradient outside that range, and the alpha sparsity term drives the alpha logit of every pixel
outside the object's mask below -3 early in training: from then on no reconstruction error can
grow alpha where the object's shadow or reflection is (measured: 99% of those logits were below
-3 in the previous shipped model, and its layers never took an effect). `return_clamp` keeps the
reference's forward values but lets a gradient through outside the range when it points back
into it, so an effect the reconstruction needs can always be grown, while the sparsity term
cannot push logits ever deeper.
"""
from __future__ import annotations

import math
from typing import List, Optional

import torch
from torch import nn

from .encoders import he_uniform_


class _ReturnClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, low: float, high: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.bounds = (low, high)
        return x.clamp(low, high)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,), (low, high) = ctx.saved_tensors, ctx.bounds
        # Gradient descent moves x by -grad: below `low` keep grad < 0 (moves x up), above
        # `high` keep grad > 0 (moves x down); inside, the ordinary clamp gradient.
        keep = ((x >= low) & (x <= high)) | ((x < low) & (grad < 0)) | ((x > high) & (grad > 0))
        return grad * keep, None, None


def return_clamp(x: torch.Tensor, low: float = -3.0, high: float = 3.0) -> torch.Tensor:
    """x.clamp(low, high) whose gradient outside [low, high] survives when it points inwards."""
    return _ReturnClamp.apply(x, low, high)


class _StraightClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, low: float, high: float) -> torch.Tensor:
        return x.clamp(low, high)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, None, None


# tanh of a logit clamped to [-3, 3]: alpha lies in [ALPHA_FLOOR, 1 - ALPHA_FLOOR], about 0.0025
ALPHA_FLOOR = (1.0 - math.tanh(3.0)) / 2.0

CLAMPS = {"hard": lambda x: x.clamp(-3.0, 3.0), "inward": return_clamp,
          "straight": lambda x: _StraightClamp.apply(x, -3.0, 3.0)}


class UpBlock(nn.Module):
    """4x4 stride-2 transposed convolution (exactly doubles H and W), InstanceNorm, ReLU."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1)
        self.norm = nn.InstanceNorm2d(out_ch, affine=True)
        self.act = nn.ReLU()
        he_uniform_(self.conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class RGBADecoder(nn.Module):
    """(B, D, h, w) [+ skip (B, S, 8h, 8w)] -> RGBA (B, 4, 16h, 16w) in [0, 1]."""

    def __init__(self, width: int, channels: List[int], skip_channels: int = 0,
                 clamp: str = "inward"):
        super().__init__()
        if clamp not in CLAMPS:
            raise ValueError(f"clamp must be one of {sorted(CLAMPS)}, got {clamp!r}")
        self.clamp = CLAMPS[clamp]
        chans = [width] + list(channels)
        ups = [UpBlock(chans[i], chans[i + 1]) for i in range(len(channels))]
        # The optional skip joins before the last up-sampling block (reference layout).
        last_in = chans[-2] + skip_channels
        ups[-1] = UpBlock(last_in, chans[-1])
        self.ups = nn.ModuleList(ups)
        self.to_rgba = nn.Conv2d(chans[-1], 4, kernel_size=3, padding=1)
        std = 1.0 / (9 * chans[-1]) ** 0.5
        nn.init.trunc_normal_(self.to_rgba.weight, std=std, a=-2 * std, b=2 * std)
        nn.init.zeros_(self.to_rgba.bias)

    def forward(self, x: torch.Tensor, skip: Optional[torch.Tensor] = None) -> torch.Tensor:
        B, D, h, w = x.shape
        for up in self.ups[:-1]:
            x = up(x)
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        x = self.ups[-1](x)
        # The logits in the weights' dtype even in a bfloat16 step (train.precision; a no-op
        # without autocast): on boys-beach bfloat16 logits lost a boy's shadow for 4 frames with
        # each of two seeds, float32 logits for 2 and 0 (experiments/dev_benchmark/README.md)
        with torch.autocast(x.device.type, enabled=False):
            logits = self.to_rgba(x.to(self.to_rgba.weight.dtype))
        # Clamp before tanh (reference): alpha stays in (0.0025, 0.9975), never exactly 0 or 1.
        # (tanh(z) + 1) / 2 is computed as sigmoid(2z), the same function: with more than one
        # thread, torch.tanh's first call in a process (MKL's vector library) differed in the
        # last bit in 2 to 4 of every 10-12 processes, and test-time training amplified that into
        # different layers from the same seed; sigmoid gives the same bits every time.
        return torch.sigmoid(2.0 * self.clamp(logits))
