"""pix2pix-style CNN encoders for frames and masks (seed section 1).

conv64-conv128-conv256-conv256: each block a 4x4 convolution with stride 2, instance
normalisation (omitted in the first block, following Omnimatte) and LeakyReLU(0.2).
Images and masks get two separate encoders of this shape.
"""
from __future__ import annotations

from typing import List, Tuple

import torch
from torch import nn


def he_uniform_(module: nn.Module) -> None:
    """He-uniform weights (bound sqrt(6 / fan_in)) and zero biases, as in the reference."""
    nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
    if module.bias is not None:
        nn.init.zeros_(module.bias)


class ConvBlock(nn.Module):
    """4x4 stride-2 convolution (exactly halves H and W), optional InstanceNorm, LeakyReLU."""

    def __init__(self, in_ch: int, out_ch: int, norm: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1)
        # Affine, no running statistics: every image is normalised on its own.
        self.norm = nn.InstanceNorm2d(out_ch, affine=True) if norm else nn.Identity()
        self.act = nn.LeakyReLU(0.2)
        he_uniform_(self.conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class Encoder(nn.Module):
    """(B, C, H, W) -> features (B, D, H/16, W/16) and the first block's output (skip)."""

    def __init__(self, in_channels: int, channels: List[int]):
        super().__init__()
        chans = [in_channels] + list(channels)
        self.blocks = nn.ModuleList(
            ConvBlock(chans[i], chans[i + 1], norm=i > 0) for i in range(len(channels)))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        B, C, H, W = x.shape
        x = self.blocks[0](x)
        skip = x  # (B, channels[0], H/2, W/2)
        for block in self.blocks[1:]:
            x = block(x)
        return x, skip
