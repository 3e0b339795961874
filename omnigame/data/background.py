"""The static background L^0: per-channel median over frames of pixels outside all masks.

With `shadow_free`, one exception: where an object stands still for most of the clip, its
shadow is in most of the frames a pixel is seen in, and the median holds it; the object's
layer then has nothing left to explain there (boys-beach: the long shadow of a boy who hardly
moves). A pixel whose median is the same colour as the median of its brightest quarter of
samples, only darker (cosine above `shade`, by more than `min_gap` of full scale), is taken
from that brightest quarter instead: lit ground, seen lit in some frames. A darker-only test:
a reflection or a wave that brightens the plate is left to the median.

Seed section 4: the valid pixels of a frame are those with sum_i M_t^i = 0, and, for a
stabilised video, inside the frame's `valid` area (outside it the frame holds no picture, so
those pixels never enter the median). A pixel that has no such observation in any frame it is filled from its surroundings
(push-pull interpolation) and the share of such pixels is reported, since the layers will
have to explain whatever the fill gets wrong.
"""
from __future__ import annotations

import logging
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)


def video_background(video, max_frames: int = 200, margin: int = 2,
                     shadow_free: bool = False) -> Tuple[np.ndarray, float]:
    """The background a Video carries, or else its median estimate; with the unseen fraction."""
    if video.background is not None:
        return video.background, 0.0
    return median_background(video.frames, video.masks, video.valid, max_frames, margin,
                             shadow_free)


def median_background(frames: np.ndarray, masks: np.ndarray, valid: Optional[np.ndarray] = None,
                      max_frames: int = 200, margin: int = 0,
                      shadow_free: bool = False) -> Tuple[np.ndarray, float]:
    """frames (N, H, W, 3) uint8, masks (L, N, H, W) bool, valid (N, H, W) bool or None ->
    background (H, W, 3) uint8 and the fraction of pixels never seen (filled by interpolation).

    A pixel of a frame counts when no mask, grown by `margin` pixels, covers it and `valid` (if
    given) is True there; at most `max_frames` frames, evenly spread, are used. The margin
    keeps the object's own edge pixels (masks drawn or compressed a pixel short) out: where an
    object stands still, those few leaked pixels would otherwise be all the median sees.
    shadow_free: a shadow the median holds is lifted (module docstring)."""
    N = frames.shape[0]
    pick = np.unique(np.linspace(0, N - 1, min(N, max_frames)).round().astype(int))
    x = torch.from_numpy(frames[pick]).float()  # (n, H, W, 3)
    unusable = _grow(np.asarray(masks[:, pick], bool).any(axis=0), margin)  # (n, H, W)
    if valid is not None:
        unusable |= ~np.asarray(valid[pick], bool)
    x[torch.from_numpy(unusable)] = float("nan")
    bg = torch.nanmedian(x, dim=0).values  # (H, W, 3), NaN where never uncovered
    if shadow_free:
        bg = lift_shadows(x, bg)
    known = ~torch.isnan(bg[..., 0])
    unseen = 1.0 - known.float().mean().item()
    if unseen > 0:
        log.info("background: %.2f%% of pixels are covered in every frame; filled from "
                 "their surroundings", 100 * unseen)
        if not known.any():
            bg = x.nan_to_num(0).mean(0)
        else:
            filled = fill_holes(bg.nan_to_num(0).permute(2, 0, 1), known[None].float())
            bg = filled.permute(1, 2, 0)
    return bg.round().clamp(0, 255).to(torch.uint8).numpy(), unseen


def lift_shadows(x: torch.Tensor, median: torch.Tensor, shade: float = 0.97,
                 min_gap: float = 0.04, rows: int = 64) -> torch.Tensor:
    """x (n, H, W, 3) 0..255 with NaN where unusable, median (H, W, 3) its per-pixel median ->
    (H, W, 3): the median, or the median of the brightest quarter of samples where the median
    is that, darker (module docstring). `rows` rows at a time, so no second copy of x is held."""
    out = median.clone()
    for r in range(0, x.shape[1], rows):
        block, med = x[:, r:r + rows], median[r:r + rows]
        brightness = block.mean(-1)  # (n, h, W)
        top = torch.nanquantile(brightness, 0.75, dim=0, interpolation="nearest")
        lit = torch.nanmedian(torch.where((brightness >= top)[..., None], block, float("nan")),
                              dim=0).values
        darker = med - lit
        cosine = -(darker * lit).sum(-1) / (darker.norm(dim=-1) * lit.norm(dim=-1)).clamp_min(1e-6)
        shadow = (cosine > shade) & (darker.abs().amax(-1) > 255 * min_gap)
        out[r:r + rows] = torch.where(shadow[..., None], lit, med)
    return out


def _grow(masks: np.ndarray, margin: int) -> np.ndarray:
    """(n, H, W) bool masks grown by `margin` pixels (a square neighbourhood)."""
    if margin <= 0:
        return masks
    m = torch.from_numpy(masks)[:, None].float()
    return (F.max_pool2d(m, 2 * margin + 1, stride=1, padding=margin)[:, 0] > 0).numpy()


def fill_holes(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Push-pull fill: image (C, H, W), known (1, H, W) in {0, 1} -> (C, H, W), known pixels kept.

    Averages of known pixels at ever coarser scales flow back into the holes, so a hole takes
    the colour of its nearest surroundings rather than a global mean.
    """
    if bool(known.min() > 0) or min(image.shape[1:]) < 2:
        return image
    weighted = F.avg_pool2d((image * known)[None], 2, ceil_mode=True)[0]
    weight = F.avg_pool2d(known[None], 2, ceil_mode=True)[0]
    coarse = fill_holes(weighted / weight.clamp_min(1e-8), (weight > 0).float())
    up = F.interpolate(coarse[None], size=image.shape[1:], mode="bilinear",
                       align_corners=False)[0]
    return image * known + up * (1.0 - known)
