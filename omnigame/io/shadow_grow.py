"""Shadows the network missed: the unexplained darkening of the frame, given to the layer it touches.

After test-time training part of a shadow can be in no layer: a long shadow far from its
object's mask, or the part the model's blurred alpha does not reach. The frame is then darker
than the composite there, and nowhere else on a clean background (on the development
benchmark, 55% of the missed effect pixels differ by more than 0.04 of full scale, against
under 2% of the pixels no effect touches).

Per frame, outside every object's mask:
  1. the pixels where |frame - composite| is above both `min_residual` and `noise_factor`
     times the frame's own noise level (a robust estimate over all pixels outside the masks,
     so that compression noise or a moving sea on real footage raise the bar);
  2. such a pixel joins a layer only if it lies in one 8-connected patch with that layer's
     object mask or its effect (alpha > `level`); where a patch touches several layers, each
     pixel goes to the nearest;
  3. there, the layer takes the least alpha, and its colour, that explain the difference,
     but only where the frame is what lies behind the layer made darker, its colour kept
     (cosine between the change and -behind above `shade`): a shadow. Foam, glare or a
     wave's colour change on real footage are not shadows and stay with the background.
Pixels a layer already holds (alpha > `level`) are left to `fit_effect_alpha`.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from .alpha_fit import _behind_each


def grow_shadows(rgba: torch.Tensor, frames: torch.Tensor, background: torch.Tensor,
                 order: torch.Tensor, masks: np.ndarray, level: float = 0.1,
                 min_residual: float = 0.04, noise_factor: float = 4.0,
                 shade: float = 0.97) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1]; frames, background (n, 3, H, W); order (n, L) back to
    front; masks (L, n, H, W) bool -> rgba whose layers also hold the unexplained shadow that
    touches them (module docstring)."""
    out = rgba.clone()
    for t in range(rgba.shape[1]):
        behind, recon = _behind_each(out[:, t], background[t], order[t])
        residual = frames[t] - recon
        owner = _owners(residual, out[:, t, 3].numpy(), masks[:, t], level, min_residual,
                        noise_factor)
        shows = rgba.new_ones(1, *rgba.shape[-2:])  # what the layers in front let through
        for obj in order[t].flip(0).tolist():  # front to back
            take = torch.from_numpy(owner == obj)[None] & (shows > 0.5)
            if take.any():
                _take_shadow(out[obj, t], behind[obj], residual, shows, take, shade)
            shows = shows * (1 - out[obj, t, 3:])
    return out


def _owners(residual: torch.Tensor, alpha: np.ndarray, masks: np.ndarray, level: float,
            min_residual: float, noise_factor: float) -> np.ndarray:
    """residual (3, H, W); alpha, masks (L, H, W) -> (H, W) int: the layer that may take each
    unexplained pixel, -1 for none."""
    L, H, W = masks.shape
    size = residual.abs().amax(0).numpy()
    outside = ~masks.any(0)
    owner = np.full((H, W), -1)
    if not outside.any():
        return owner
    noise = 1.4826 * np.median(size[outside])  # the median absolute deviation, as a sigma
    loose = (size > max(min_residual, noise_factor * noise)) & outside
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


def _take_shadow(layer: torch.Tensor, behind: torch.Tensor, residual: torch.Tensor,
                 shows: torch.Tensor, take: torch.Tensor, shade: float) -> None:
    """In place on layer (4, H, W), where take (1, H, W) and the change is a darkening: the
    least alpha, and its colour, that make the layer over `behind` (3, H, W) match the frame;
    residual (3, H, W) moves with it."""
    alpha, colour = layer[3:], layer[:3]
    # what the layer must add over what is behind it, seen through the layers in front
    need = residual / shows.clamp_min(1e-3) + alpha * (colour - behind)
    norms = need.norm(dim=0, keepdim=True) * behind.norm(dim=0, keepdim=True)
    darker = -(need * behind).sum(0, keepdim=True) / norms.clamp_min(1e-6) > shade
    room = torch.where(need > 0, 1 - behind, behind).clamp_min(1e-3)
    new_alpha = (need.abs() / room).amax(0, keepdim=True).clamp(max=1)
    take = take & darker & (new_alpha > 0.02)
    new_colour = (behind + need / new_alpha.clamp_min(1e-3)).clamp(0, 1)
    before = alpha * colour + (1 - alpha) * behind
    after = new_alpha * new_colour + (1 - new_alpha) * behind
    residual -= torch.where(take, shows * (after - before), 0)
    layer[3:] = torch.where(take, new_alpha, alpha)
    layer[:3] = torch.where(take, new_colour, colour)
