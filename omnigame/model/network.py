"""The coordination-game layer model (seed section 1; reference notes section 2).

For a clip of T frames, some of which are hidden, and one mask per object per frame:

1. A CNN encodes every frame; hidden frames are blanked first, so the network never sees them.
   Every frame token is tagged with a learned "visible" or "hidden" embedding.
2. A second CNN encodes each object's masks, for all T frames (hidden ones included).
3. Per object, a transformer decoder lets the object's mask tokens (queries, with their own
   positional embedding) attend to the frame tokens (keys with positional embedding, values
   without). No object sees another object's mask: each object is a player.
4. A CNN decoder turns the object's tokens of each requested frame into an RGBA layer.

Only the frames the caller asks for are decoded: in training those are the hidden frames,
which are the only ones the loss looks at (the seed: "we need only reconstruct the masked
frames").
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn

from ..config import ModelConfig
from .encoders import Encoder
from .positional import PositionalEmbedding
from .rgba_decoder import RGBADecoder
from .transformer import TransformerDecoder

DOWNSAMPLE = 16  # four stride-2 blocks


class OmnigameModel(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        width = config.encoder_channels[-1]
        if sum(config.pos_dims) != width:
            raise ValueError(f"pos_dims {config.pos_dims} must sum to the feature width {width}")
        H, W = config.image_size
        check_size(H, W)
        self.image_encoder = Encoder(3, config.encoder_channels)
        self.mask_encoder = Encoder(1, config.encoder_channels)
        self.visible_emb = nn.Parameter(torch.empty(width))
        self.hidden_emb = nn.Parameter(torch.empty(width))
        for p in (self.visible_emb, self.hidden_emb):
            nn.init.trunc_normal_(p, std=0.02, a=-0.04, b=0.04)
        grid = (H // DOWNSAMPLE, W // DOWNSAMPLE, config.max_frames, config.pos_dims)
        self.image_pos = PositionalEmbedding(*grid)
        self.mask_pos = PositionalEmbedding(*grid)
        self.transformer = TransformerDecoder(width, config.heads, config.layers,
                                              config.mlp_ratio, config.dropout)
        skip_ch = config.encoder_channels[0] if config.skip else 0
        self.decoder = RGBADecoder(width, config.decoder_channels, skip_ch, config.clamp)

    # -- encoders: each frame and each mask is encoded on its own (instance norm is per image),
    #    so the inference engine may cache these per frame.

    def encode_frames(self, frames: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """frames (B, T, 3, H, W) in [0, 1] -> features (B, T, D, h, w), skip (B, T, S, H/2, W/2)."""
        B, T, C, H, W = frames.shape
        x = frames.reshape(B * T, C, H, W) * 2.0 - 1.0  # the reference works in [-1, 1]
        feats, skip = self.image_encoder(x)
        return feats.unflatten(0, (B, T)), skip.unflatten(0, (B, T))

    def encode_masks(self, masks: torch.Tensor) -> torch.Tensor:
        """masks (B, L, T, H, W) in {0, 1} -> features (B, L, T, D, h, w)."""
        B, L, T, H, W = masks.shape
        x = masks.reshape(B * L * T, 1, H, W) * 2.0 - 1.0  # the reference feeds {-1, +1}
        feats, _ = self.mask_encoder(x)
        return feats.unflatten(0, (B, L, T))

    def blank(self, frames: torch.Tensor) -> torch.Tensor:
        """The stand-in for a hidden frame: black (-1 in the encoder's units), like the reference."""
        return torch.zeros_like(frames)

    # -- the game: every object decodes its layers from its own masks and the visible frames.

    def layers_from_features(self, frame_feats, frame_skip, mask_feats, visible, decode):
        """Decode RGBA layers of the frames in `decode`.

        frame_feats (B, T, D, h, w): encodings of the frames, hidden ones already blanked.
        frame_skip  (B, T, S, H/2, W/2) or None: first-block encodings (used if config.skip).
        mask_feats  (B, L, T, D, h, w); visible (B, T) bool; decode (B, K) frame indices.
        Returns RGBA (B, L, K, 4, H, W) in [0, 1].
        """
        B, L, T, D, h, w = mask_feats.shape
        K = decode.shape[1]
        tag = torch.where(visible[..., None], self.visible_emb, self.hidden_emb)  # (B, T, D)
        values = frame_feats.permute(0, 1, 3, 4, 2) + tag[:, :, None, None, :]  # (B, T, h, w, D)
        keys = values + self.image_pos(T, h, w)
        queries = mask_feats.permute(0, 1, 2, 4, 5, 3) + self.mask_pos(T, h, w)  # (B,L,T,h,w,D)
        out = self.transformer(queries.reshape(B, L, T * h * w, D),
                               keys.reshape(B, T * h * w, D), values.reshape(B, T * h * w, D))
        out = out.view(B, L, T, h, w, D)
        index = decode[:, None, :, None, None, None].expand(B, L, K, h, w, D)
        out = out.gather(2, index).permute(0, 1, 2, 5, 3, 4).reshape(B * L * K, D, h, w)
        skip = None
        if self.config.skip:
            skip = _gather_frames(frame_skip, decode)  # (B, K, S, H/2, W/2), shared by objects
            skip = skip[:, None].expand(B, L, *skip.shape[1:]).reshape(B * L * K, *skip.shape[2:])
        rgba = self.decoder(out, skip)
        return rgba.view(B, L, K, *rgba.shape[1:])

    def forward(self, frames: torch.Tensor, masks: torch.Tensor, visible: torch.Tensor,
                decode: Optional[torch.Tensor] = None) -> torch.Tensor:
        """frames (B, T, 3, H, W) in [0, 1]; masks (B, L, T, H, W) in {0, 1};
        visible (B, T) bool; decode (B, K) long, default: the hidden frames.
        Returns RGBA layers (B, L, K, 4, H, W) in [0, 1]."""
        B, T, _, H, W = frames.shape
        check_size(H, W)
        if decode is None:
            decode = hidden_indices(visible)
        shown = torch.where(visible[:, :, None, None, None], frames, self.blank(frames))
        frame_feats, frame_skip = self.encode_frames(shown)
        return self.layers_from_features(frame_feats, frame_skip, self.encode_masks(masks),
                                         visible, decode)


def _gather_frames(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x (B, T, ...), index (B, K) -> (B, K, ...)."""
    return x[torch.arange(x.shape[0], device=x.device)[:, None], index]


def hidden_indices(visible: torch.Tensor) -> torch.Tensor:
    """visible (B, T) bool with the same hidden count per row -> (B, K) hidden frame indices."""
    hidden = ~visible
    counts = hidden.sum(1)
    if not bool((counts == counts[0]).all()):
        raise ValueError("every clip in a batch must hide the same number of frames")
    order = torch.argsort(hidden.to(torch.int8), dim=1, descending=True, stable=True)
    return order[:, : int(counts[0])].sort(dim=1).values


def check_size(H: int, W: int) -> None:
    if H % DOWNSAMPLE or W % DOWNSAMPLE:
        raise ValueError(f"model size {H}x{W} must be a multiple of {DOWNSAMPLE} in both "
                         f"dimensions (four stride-2 blocks); e.g. 128x224")
