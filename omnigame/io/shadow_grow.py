"""Effects the network missed: the change no layer explains, given to the layer it touches.

After test-time training part of an effect can be in no layer: a long shadow far from its
object's mask, the part the model's blurred alpha does not reach, a thin or faint shadow, a
reflection or dust the 16x-downsampled model never resolved. The frame then differs from the
composite there, and nowhere else on a clean background (on the development benchmark, 55% of
the missed effect pixels differ by more than 0.04 of full scale, against under 2% of the pixels
no effect touches).

Per frame, outside every object's mask:
  1. the pixels where |frame - composite| is above both a floor and `noise_factor` times the
     frame's own noise level (a robust estimate over all pixels outside the masks, so that
     compression noise or a moving sea on real footage raise the bar);
  2. such a pixel joins a layer only if it lies in one 8-connected patch with that layer's
     object mask or its effect (alpha > `level`); where a patch touches several layers, each
     pixel goes to the nearest;
  3. there, the layer takes the least alpha, and its colour, that explain the difference, if
     the change is a shadow: what lies behind the layer made darker, its colour kept (cosine
     between the change and -behind above `shade`) and above `min_residual`. Any other change
     (a reflection, dust, a faint shadow down to `still_residual`) is taken only where the
     background is usually still (`still`: how much the frame differs from the plate at that
     pixel in most frames; the change must be `still_factor` times that) and within the
     object's own height of its mask. Foam, glare or waves on real footage change the same
     pixels in most frames, so they stay with the background.
Pixels a layer already holds (alpha > `level`) are left to `fit_effect_alpha`.

Where a reflection in water can be, the bars are lower: in each object's mask mirrored about
its lowest row (and grown by `MIRROR_GROW` pixels), where the change points towards the
object's own colour at the mirrored place (`_reflects`), steps 1 and 3 take a change above
`mirror_factor` (2) times the noise instead of 4 times. Still water mirrors a standing object
straight down from where it meets the water, dimmed, so there such a change is more likely
the reflection than a wave. The colour test keeps out foam: without it, on boys-beach the
wash running up the sand beside the bending boy's feet in frame 61 (6,600 pixels) went into
his layer. Over a moving sea the far part of a reflection changes the frame
by about 2 sigma (live set scene 03: the missed pixels' median change 0.043 against a frame
sigma of 0.019-0.024), and the 4-sigma bar left it in no layer. On the kept outputs of session
18 (`rescore.py`): live set 0.778 / 0.766 -> 0.788 / 0.773 (effect IoU / association; 03:
0.747 -> 0.786), its second seed 0.784 / 0.758 -> 0.796 / 0.768; the
development benchmark (still plates) and the synthetic scenes the same to the third decimal.

The residual thresholds (the floor of step 1, `min_residual` of step 3) hold as given where the
plate's brightest channel is mid-grey or brighter and fall in proportion below it, to a quarter
of themselves (`_darkness_scale`): a shadow takes a fraction of the light, so on dark ground it
changes the frame by less. On the disc-and-shadow probe over a photograph whose shadow falls on
near-black ground (22/255, seed 3) the shadow's mean alpha after default test-time training
went 0.296 -> 0.429; the development benchmark, the live set (bright sand and sea) and the
synthetic scenes scored the same to the third decimal (session 18, `rescore.py`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from scipy import ndimage

from .alpha_fit import _behind_each


def still_noise(frames: np.ndarray, background: np.ndarray, masks: np.ndarray,
                max_frames: int = 32) -> np.ndarray:
    """frames, background (N, H, W, 3) uint8; masks (L, N, H, W) bool -> (H, W) float32: per
    pixel, a robust sigma (1.4826 x the median over up to `max_frames` spread frames, objects
    left out) of max-channel |frame - background| in [0, 1]. Low where the background is still
    (sand, a wall), high where it keeps changing (waves, foliage). With a moving camera the
    frames' pixels are compared as they are, not along the camera's motion: a region that
    keeps changing in the frame is still found."""
    N, H, W, _ = frames.shape
    pick = np.unique(np.linspace(0, N - 1, min(N, max_frames)).round().astype(int))
    diff = torch.empty(len(pick), H, W)  # one frame at a time: no int16 copy of the video
    for i, f in enumerate(pick):
        diff[i] = torch.from_numpy(np.abs(frames[f].astype(np.int16) - background[f]).max(-1))
    diff.masked_fill_(torch.from_numpy(masks[:, pick].any(0)), float("nan"))
    # torch's nanmedian: 4x numpy's; a pixel covered in every frame comes out nan, taken as 0
    typical = diff.nanmedian(dim=0).values.numpy()
    return (1.4826 / 255 * np.nan_to_num(typical, nan=0.0)).astype(np.float32)


def grow_shadows(rgba: torch.Tensor, frames: torch.Tensor, background: torch.Tensor,
                 order: torch.Tensor, masks: np.ndarray, level: float = 0.1,
                 min_residual: float = 0.04, noise_factor: float = 4.0,
                 shade: float = 0.97, still: Optional[np.ndarray] = None,
                 still_residual: float = 0.02, still_factor: float = 4.0,
                 mirror_factor: float = 2.0) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1]; frames, background (n, 3, H, W); order (n, L) back to
    front; masks (L, n, H, W) bool -> rgba whose layers also hold the unexplained effect that
    touches them (module docstring). still (H, W): `still_noise` of the whole video; without
    it only shadows are taken. mirror_factor: both noise factors where a reflection can be
    (`_mirror`); noise_factor turns that off."""
    out = rgba.clone()
    floor = min_residual if still is None else min(min_residual, still_residual)
    still = None if still is None else torch.from_numpy(still).to(rgba.dtype)[None]
    for t in range(rgba.shape[1]):
        behind, recon = _behind_each(out[:, t], background[t], order[t])
        residual = frames[t] - recon
        scale = _darkness_scale(background[t])
        mirrors = [_reflects(frames[t], recon, m, _mirror(m)) for m in masks[:, t]]
        factor = np.where(np.any(mirrors, axis=0), mirror_factor, noise_factor)
        owner = _owners(residual, out[:, t, 3].numpy(), masks[:, t], level,
                        floor * scale[0].numpy(), factor)
        size = residual.abs().amax(0, keepdim=True)
        shows = rgba.new_ones(1, *rgba.shape[-2:])  # what the layers in front let through
        for obj in order[t].flip(0).tolist():  # front to back
            take = torch.from_numpy(owner == obj)[None] & (shows > 0.5)
            if take.any():
                other = _not_shadow(size, still, masks[obj, t], mirrors[obj], still_factor,
                                    mirror_factor)
                _take_change(out[obj, t], behind[obj], residual, shows, take, shade,
                             min_residual * scale, other)
            shows = shows * (1 - out[obj, t, 3:])
    return out


def _not_shadow(size: torch.Tensor, still: Optional[torch.Tensor], mask: np.ndarray,
                mirror: np.ndarray, still_factor: float, mirror_factor: float) -> torch.Tensor:
    """size (1, H, W) the residual's largest channel; still (1, H, W) or None; mask, mirror
    (H, W) bool -> (1, H, W) bool: where a change other than a shadow may be taken: above
    `still_factor` x still within the object's height of it, above `mirror_factor` x still
    where its reflection can be; nowhere without `still`."""
    if still is None:
        return torch.zeros_like(size, dtype=torch.bool)
    near = torch.from_numpy(_within_height(mask))[None]
    below = torch.from_numpy(mirror)[None]
    return (size > still_factor * still) & near | (size > mirror_factor * still) & below


def _darkness_scale(plate: torch.Tensor, mid: float = 0.5, least: float = 0.25) -> torch.Tensor:
    """(3, H, W) -> (1, H, W): the residual thresholds' scale per pixel. A shadow takes a
    fraction of the light, so on dark ground it changes the frame by less: the thresholds
    hold as they are where the plate's brightest channel is `mid` or brighter and fall in
    proportion below it, down to `least` of themselves."""
    return (plate.amax(0, keepdim=True) / mid).clamp(least, 1.0)


MIRROR_GROW = 3  # px: a reflection wavers about the object's mirror image
MIRROR_AGREE = 0.5  # cosine: the change points towards the object's mirrored colour


def _flip(mask: np.ndarray):
    """(H, W) bool -> ((H, W) bool, (H,) int): the mask reflected about its lowest row, below
    that row (empty for an empty mask), and the row each row shows."""
    rows = np.flatnonzero(mask.any(1))
    H = mask.shape[0]
    if rows.size == 0:
        return np.zeros_like(mask), np.arange(H)
    y, low = np.arange(H), rows[-1]
    source = np.clip(2 * low + 1 - y, 0, H - 1)  # row y shows row 2 low + 1 - y
    return mask[source] & ((y > low) & (y <= 2 * low + 1))[:, None], source


def _box(region: np.ndarray, pad: int = 0):
    """(H, W) bool, not empty -> (rows, cols) slices around its pixels, `pad` wider."""
    rows, cols = np.flatnonzero(region.any(1)), np.flatnonzero(region.any(0))
    return (slice(max(rows[0] - pad, 0), rows[-1] + pad + 1),
            slice(max(cols[0] - pad, 0), cols[-1] + pad + 1))


def _mirror(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool mask -> (H, W) bool: `_flip`'s mirror image grown by MIRROR_GROW pixels:
    where still water would show the object's reflection."""
    flipped, _ = _flip(mask)
    if not flipped.any():
        return flipped
    box = _box(flipped, MIRROR_GROW)  # grown in its own box: per frame at the input size
    out = np.zeros_like(flipped)
    out[box] = ndimage.binary_dilation(flipped[box], iterations=MIRROR_GROW)
    return out


def _reflects(frame: torch.Tensor, recon: torch.Tensor, mask: np.ndarray, region: np.ndarray,
              agree: float = MIRROR_AGREE) -> np.ndarray:
    """frame, recon (3, H, W); mask, region (H, W) bool, region = `_mirror(mask)` -> (H, W)
    bool: where in `region` the frame's change over the composite points towards the
    object's own colour at the mirrored place (the nearest mirrored mask pixel; cosine above
    `agree`): a reflection carries the object's colours, dimmed; foam or wash brightening
    under a dark object does not."""
    if not region.any():
        return region
    flipped, source = _flip(mask)
    ys, xs = _box(region)  # holds every mirrored pixel, so the nearest one too
    _, (iy, ix) = ndimage.distance_transform_edt(~flipped[ys, xs], return_indices=True)
    rows, cols = source[iy + ys.start], ix + xs.start
    colour = frame[:, torch.from_numpy(rows), torch.from_numpy(cols)]  # (3, h, w)
    change, towards = frame[:, ys, xs] - recon[:, ys, xs], colour - recon[:, ys, xs]
    cosine = (change * towards).sum(0) / (change.norm(dim=0) * towards.norm(dim=0)).clamp_min(1e-6)
    out = np.zeros_like(region)
    out[ys, xs] = region[ys, xs] & (cosine > agree).numpy()
    return out


def _within_height(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool mask -> (H, W) bool: pixels no farther from it than its height, where a
    reflection or dust can be (a shadow may reach farther)."""
    rows = np.flatnonzero(mask.any(1))
    if rows.size == 0:
        return np.zeros_like(mask)
    return ndimage.distance_transform_edt(~mask) <= rows[-1] - rows[0] + 1


def _owners(residual: torch.Tensor, alpha: np.ndarray, masks: np.ndarray, level: float,
            min_residual: np.ndarray, noise_factor) -> np.ndarray:
    """residual (3, H, W); alpha, masks (L, H, W); min_residual (H, W); noise_factor a float
    or (H, W) -> (H, W) int: the layer that may take each unexplained pixel, -1 for none."""
    L, H, W = masks.shape
    size = residual.abs().amax(0).numpy()
    outside = ~masks.any(0)
    owner = np.full((H, W), -1)
    if not outside.any():
        return owner
    noise = 1.4826 * np.median(size[outside])  # the median absolute deviation, as a sigma
    loose = (size > np.maximum(min_residual, noise_factor * noise)) & outside
    seeds = masks | (alpha > level)
    if not loose.any() or not seeds.any():
        return owner
    patches, _ = ndimage.label(loose | seeds.any(0), structure=np.ones((3, 3)))
    distance = np.full((L, H, W), np.inf)
    for k in range(L):
        if seeds[k].any():
            touched = np.isin(patches, np.unique(patches[seeds[k]]))
            distance[k] = np.where(touched, ndimage.distance_transform_edt(~seeds[k]), np.inf)
    nearest = distance.argmin(0)
    free = np.take_along_axis(alpha, nearest[None], 0)[0] <= level
    take = loose & np.isfinite(distance.min(0)) & free
    owner[take] = nearest[take]
    return owner


def _take_change(layer: torch.Tensor, behind: torch.Tensor, residual: torch.Tensor,
                 shows: torch.Tensor, take: torch.Tensor, shade: float,
                 min_residual: torch.Tensor, other: torch.Tensor) -> None:
    """In place on layer (4, H, W), where take (1, H, W) and the change is a shadow (a darkening
    above min_residual) or `other` allows any change: the least alpha, and its colour, that make
    the layer over `behind` (3, H, W) match the frame; residual (3, H, W) moves with it."""
    alpha, colour = layer[3:], layer[:3]
    # what the layer must add over what is behind it, seen through the layers in front
    need = residual / shows.clamp_min(1e-3) + alpha * (colour - behind)
    norms = need.norm(dim=0, keepdim=True) * behind.norm(dim=0, keepdim=True)
    darker = -(need * behind).sum(0, keepdim=True) / norms.clamp_min(1e-6) > shade
    shadow = darker & (residual.abs().amax(0, keepdim=True) > min_residual)
    room = torch.where(need > 0, 1 - behind, behind).clamp_min(1e-3)
    new_alpha = (need.abs() / room).amax(0, keepdim=True).clamp(max=1)
    take = take & (shadow | other) & (new_alpha > 0.02)
    new_colour = (behind + need / new_alpha.clamp_min(1e-3)).clamp(0, 1)
    before = alpha * colour + (1 - alpha) * behind
    after = new_alpha * new_colour + (1 - new_alpha) * behind
    residual -= torch.where(take, shows * (after - before), 0)
    layer[3:] = torch.where(take, new_alpha, alpha)
    layer[:3] = torch.where(take, new_colour, colour)
