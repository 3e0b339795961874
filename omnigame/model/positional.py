"""Learnable spatio-temporal positional embeddings (seed section 1).

Separate x, y and t tables (96, 96 and 64 channels) are concatenated into one 256-channel
embedding per token. When a video's feature grid differs from the one the tables were sized
for, the tables are linearly resized along their own axis: the seed's bilinear interpolation.
"""
from __future__ import annotations

from typing import List

import torch
import torch.nn.functional as F
from torch import nn


def resize_table(table: torch.Tensor, length: int) -> torch.Tensor:
    """(n, C) -> (length, C) by linear interpolation along n (corners aligned)."""
    if table.shape[0] == length:
        return table
    # A table of one row cannot be interpolated; repeat it instead.
    align = table.shape[0] > 1
    out = F.interpolate(table.t()[None], size=length, mode="linear", align_corners=align)
    return out[0].t()


class PositionalEmbedding(nn.Module):
    """Returns (T, h, w, D) embeddings for a T x h x w token grid; D = sum(dims)."""

    def __init__(self, grid_h: int, grid_w: int, max_frames: int, dims: List[int]):
        super().__init__()
        dx, dy, dt = dims
        self.x = nn.Parameter(torch.empty(grid_w, dx))
        self.y = nn.Parameter(torch.empty(grid_h, dy))
        self.t = nn.Parameter(torch.empty(max_frames, dt))
        for p in (self.x, self.y, self.t):
            nn.init.trunc_normal_(p, std=0.02, a=-0.04, b=0.04)

    def forward(self, T: int, h: int, w: int) -> torch.Tensor:
        if T > self.t.shape[0]:
            raise ValueError(f"clip of {T} frames exceeds max_frames={self.t.shape[0]}")
        x = resize_table(self.x, w)[None, None, :, :].expand(T, h, w, -1)
        y = resize_table(self.y, h)[None, :, None, :].expand(T, h, w, -1)
        t = self.t[:T, None, None, :].expand(T, h, w, -1)
        # The reference keeps embeddings in [-1, 1] so they cannot swamp the features.
        return torch.cat([x, y, t], dim=-1).clamp(-1.0, 1.0)

    def resize_(self, grid_h: int, grid_w: int) -> None:
        """Permanently resize the spatial tables, e.g. to fine-tune at a new resolution."""
        with torch.no_grad():
            self.x = nn.Parameter(resize_table(self.x, grid_w).clone())
            self.y = nn.Parameter(resize_table(self.y, grid_h).clone())
