"""Transformer decoder: an object's mask tokens attend to the clip's frame tokens.

2 layers, 4 heads, pre-LayerNorm, dropout on every residual branch (reference section 2.6).
Each layer: self-attention among the object's own mask tokens, cross-attention to the image
tokens (keys carry positional embeddings, values do not), then a GELU MLP. Sequences of
different objects never meet: each object is a separate batch row, a separate player.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _linear(d_in: int, d_out: int) -> nn.Linear:
    layer = nn.Linear(d_in, d_out)
    # Fan-in variance scaling with a truncated normal (reference); bias zero.
    std = (1.0 / d_in) ** 0.5 / 0.87962566103423978
    nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std)
    nn.init.zeros_(layer.bias)
    return layer


class Attention(nn.Module):
    """Multi-head scaled dot-product attention with separate q, k, v projections."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = (_linear(width, width) for _ in range(3))
        self.out = _linear(width, width)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        B, Nq, D = q.shape
        Nk = k.shape[1]
        split = lambda x, n: x.view(B, n, self.heads, D // self.heads).transpose(1, 2)
        o = F.scaled_dot_product_attention(
            split(self.q(q), Nq), split(self.k(k), Nk), split(self.v(v), Nk))
        return self.out(o.transpose(1, 2).reshape(B, Nq, D))


class DecoderLayer(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.ln_self, self.ln_cross, self.ln_mlp = (nn.LayerNorm(width) for _ in range(3))
        self.self_attn = Attention(width, heads)
        self.cross_attn = Attention(width, heads)
        self.mlp = nn.Sequential(_linear(width, mlp_ratio * width), nn.GELU(approximate="tanh"),
                                 _linear(mlp_ratio * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        B, L, N, D = h.shape
        # Self-attention stays within one object's tokens: the players do not talk.
        x = self.ln_self(h).view(B * L, N, D)
        h = h + self.drop(self.self_attn(x, x, x)).view(B, L, N, D)
        # Cross-attention treats each query row on its own, so all objects' queries can share
        # one pass over the clip's keys: the key/value projections are computed once, not L times.
        # Keys and values are not layer-normed (reference): they are encoder features.
        x = self.ln_cross(h).view(B, L * N, D)
        h = h + self.drop(self.cross_attn(x, keys, values)).view(B, L, N, D)
        return h + self.drop(self.mlp(self.ln_mlp(h)))


class TransformerDecoder(nn.Module):
    """queries (B, L, Nq, D) of L objects, keys/values (B, Nk, D) -> (B, L, Nq, D)."""

    def __init__(self, width: int, heads: int, layers: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.layers = nn.ModuleList(
            DecoderLayer(width, heads, mlp_ratio, dropout) for _ in range(layers))
        self.ln_out = nn.LayerNorm(width)

    def forward(self, queries, keys, values) -> torch.Tensor:
        # The reference clips all three to [-2, 2] to keep attention logits tame.
        h, keys, values = (t.clamp(-2.0, 2.0) for t in (queries, keys, values))
        for layer in self.layers:
            h = layer(h, keys, values)
        return self.ln_out(h)
