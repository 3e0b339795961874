"""CNN decoder: transformer features of one object in one frame -> an RGBA layer.

convt256-convt128-convt64-convt64-conv4 (seed section 1): 4x4 stride-2 transposed convolutions
with InstanceNorm and ReLU, then a 3x3 convolution to 4 channels and tanh.
"""
from __future__ import annotations

from typing import List, Optional

import torch
from torch import nn

from .encoders import he_uniform_


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

    def __init__(self, width: int, channels: List[int], skip_channels: int = 0):
        super().__init__()
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
        # Clamp before tanh (reference): alpha stays in (0.0025, 0.9975), never exactly 0 or 1.
        return (torch.tanh(self.to_rgba(x).clamp(-3.0, 3.0)) + 1.0) / 2.0
