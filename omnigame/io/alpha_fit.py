"""Effect alpha at the input resolution: one least-squares step against the input frame.

The model works at a fraction of the input size (64x112 by default), so an effect's alpha
reaches the frames as a bilinear blur: a thin shadow comes out wider, fainter and offset, and
a reflection's ripples are gone. The input frame holds that detail. Near where a layer already
has an effect, this fits its alpha to the frame, keeping the layer's colour: per pixel, the
composite moves along (colour - what is behind the layer) x (what shows through the layers in
front), so the alpha change that best explains the residual frame - composite is their dot
product over the squared length (a Gauss-Newton step, exact for one layer at a pixel), taken in
full where the layer has an effect and up to `reach` pixels away from it where the background
is still (`still`), less and less with the distance where it moves.

Where several layers may move at a pixel, the frame says only how much the composite must
change, not whose alpha should make the change. The step is shared: each layer takes a part in
proportion to its weight x its alpha (at least `seed_alpha`), and together they make one
Gauss-Newton step of the composite, scaled by the largest weight among them. A layer that holds
an effect at 0.4 takes nearly all of it; one with a faint haze there takes little. Until session
32, each layer in turn, front to back, took the whole residual that was left. The front layer's
faint haze then took what the layers behind it lacked (on scene 09 the kite lines' layer took
the jumping boy's reflection). Measured with `rescore.py` on the kept model outputs of fresh
default runs, front-to-back -> shared: development benchmark effect IoU / association
0.947 / 0.845 -> 0.948 / 0.850 (seed 0; scene 09 0.781 -> 0.837) and 0.944 / 0.847 ->
0.945 / 0.851 (seed 1; 09 0.805 -> 0.848); live set 0.802 / 0.789 -> 0.802 / 0.787; on
boys-beach the shadows hold (mean alpha 0.549 -> 0.548 where the old layer had an effect
above 0.3), but for a faint wet-sand patch that passes in part from one boy's layer to the
other's in frames 75-78.

The fade exists for moving backgrounds: over a moving sea the fit takes residual the plate
cannot explain, and a layer that fades does not end in a hard-edged patch of wave (live set
effect IoU 0.789 with the fade everywhere, 0.766 with the full step everywhere). Over a still
background it only cut the effect's margin. With the fade only where `still_noise` is at or
above about one grey level (STILL_LEVEL), on the kept model outputs of session 18
(`rescore.py`): development benchmark effect IoU / association 0.944 / 0.836 -> 0.946 / 0.837,
synthetic split 0.890 / 0.816 -> 0.896 / 0.818, live set 0.789 / 0.777 as before. On the real
clips `still_noise` is above a grey level almost everywhere (boys-beach: 4 pixels change).

Where a layer's colour is close to what is behind it, alpha is not determined by the frame and
is left alone (`min_contrast`). Alpha changes only near where the layer already has some
(`reach`): the fit sharpens and completes effects the network found, it never invents new ones
from noise or background error far from them. "Some" is alpha above `seed_alpha` = 0.05:
over a moving sea the network leaves a faint haze (0.02-0.05) along the breaking waves, and
seeded from it the fit took the waves' residual into the layer. Measured on the kept model
outputs of one run per set (`experiments/dev_benchmark/rescore.py`), 0.02 -> 0.05: live set
(real moving sea) effect IoU 0.655 -> 0.713, association 0.752 -> 0.742; development benchmark
(still plates) IoU 0.945 -> 0.944, association 0.831 -> 0.831; synthetic 0.904 -> 0.898. On
three more live runs (other training settings, 12 scene runs) 0.654 -> 0.706 and 0.725 -> 0.718.

Inside an object's own mask alpha is the mask's (`sharpen_alpha`) and is not touched, and
neither is a faint alpha (<= `haze`) on another object or within `reach` pixels of its mask:
what differs there is that object's own detail and edge (a blurred colour, a mask drawn a
pixel short), which detail transfer gives to its layer; a layer with a faint haze there must
not take it (on boys-beach, a ghost of one boy's outline in the other's layer). An effect
that is really there (alpha above `haze`) is still fitted, also where it is seen through
another object.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F


STILL_LEVEL = 0.01  # `still_noise` below this (about one grey level): the background is still


def fit_effect_alpha(rgba: torch.Tensor, frames: torch.Tensor, background: torch.Tensor,
                     order: torch.Tensor, masks: np.ndarray, reach: int = 3,
                     min_contrast: float = 0.08, seed_alpha: float = 0.05,
                     haze: float = 0.1, still: Optional[np.ndarray] = None) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1]; frames, background (n, 3, H, W); order (n, L) back to
    front; masks (L, n, H, W) bool input masks -> rgba with alpha refitted outside the masks.

    reach: pixels around a layer's existing effect (alpha > seed_alpha) that may change, the
        step fading with the distance where the background moves;
    min_contrast: the least |colour - behind| (0..1 RGB distance) at which alpha is fitted;
    haze: alpha up to which a layer is not fitted on or near another object;
    still: (H, W) `shadow_grow.still_noise` of the video; where it is below STILL_LEVEL the
        step does not fade within `reach` (without it, it fades everywhere).
    """
    L, n, _, H, W = rgba.shape
    out = rgba.clone()
    own = torch.from_numpy(np.ascontiguousarray(masks)).bool()
    near = (F.max_pool2d(own.float(), 2 * reach + 1, stride=1, padding=reach) > 0).int()
    calm = None if still is None else torch.from_numpy(still < STILL_LEVEL)[None]
    for t in range(n):
        behind, recon = _behind_each(out[:, t], background[t], order[t])
        direction, weight = rgba.new_zeros(L, 3, H, W), rgba.new_zeros(L, 1, H, W)
        length2 = rgba.new_zeros(L, 1, H, W)
        shows = rgba.new_ones(1, H, W)  # how much of a layer the layers in front let through
        for obj in order[t].flip(0).tolist():  # front to back
            alpha = out[obj, t, 3:]
            direction[obj] = (out[obj, t, :3] - behind[obj]) * shows  # d composite / d alpha
            length2[obj] = (direction[obj] ** 2).sum(0, keepdim=True)
            closeness = _closeness(alpha, seed_alpha, reach)
            if calm is not None:  # the fade is for a moving background
                closeness = torch.where(calm, (closeness > 0).to(alpha.dtype), closeness)
            edge = ((near[:, t].sum(0) - near[obj, t]) > 0)[None] & (alpha <= haze)
            weight[obj] = closeness * (~own[obj, t][None] & ~edge
                                       & (length2[obj] > min_contrast ** 2))
            shows = shows * (1 - alpha)
        alpha = out[:, t, 3:]
        step = _shared_step(frames[t] - recon, direction, length2, weight, alpha, seed_alpha)
        out[:, t, 3:] = (alpha + step).clamp(0, 1)
    return out


def _shared_step(residual: torch.Tensor, direction: torch.Tensor, length2: torch.Tensor,
                 weight: torch.Tensor, alpha: torch.Tensor, floor: float) -> torch.Tensor:
    """residual (3, H, W); direction (L, 3, H, W) d composite / d alpha; length2 (its
    squared length), weight, alpha (L, 1, H, W) -> (L, 1, H, W) alpha steps. A layer alone at
    a pixel takes weight x the Gauss-Newton step (residual . direction) / length2. Where
    several may move, each takes a share in proportion to weight x alpha (at least `floor`),
    and together they make one Gauss-Newton step of the composite scaled by the largest
    weight (module docstring). A layer that cannot move the way the residual asks (alpha 0
    asked to fall, 1 to rise) takes no share."""
    along = (residual[None] * direction).sum(1, keepdim=True)
    stuck = (alpha <= 0) & (along < 0) | (alpha >= 1) & (along > 0)
    weight = torch.where(stuck, 0, weight)
    share = weight * alpha.clamp_min(floor)
    moved = (share * length2).sum(0, keepdim=True)  # the composite's change per unit share
    return weight.amax(0, keepdim=True) * share * along / moved.clamp_min(1e-8)


def _behind_each(rgba: torch.Tensor, background: torch.Tensor, order: torch.Tensor):
    """rgba (L, 4, H, W) one frame, background (3, H, W) -> (what lies behind each layer
    (L, 3, H, W), the whole composite (3, H, W)), compositing back to front once."""
    behind = torch.empty_like(rgba[:, :3])
    below = background
    for obj in order.tolist():  # back to front
        behind[obj] = below
        a = rgba[obj, 3:]
        below = a * rgba[obj, :3] + (1 - a) * below
    return behind, below


def _closeness(alpha: torch.Tensor, level: float, reach: int) -> torch.Tensor:
    """(1, H, W) -> (1, H, W) in [0, 1]: 1 where alpha > level, falling by 1 / (reach + 1) per
    pixel of distance, 0 beyond `reach`. Graded, so that where the fit takes a residual the
    frame's background does not explain (a moving sea), the layer fades out instead of
    ending in a hard-edged patch."""
    seed = (alpha > level).to(alpha.dtype)[None]
    weight, grown = seed, seed
    for d in range(1, reach + 1):
        grown = F.max_pool2d(grown, 3, stride=1, padding=1)
        weight = torch.maximum(weight, grown * (1 - d / (reach + 1)))
    return weight[0]
