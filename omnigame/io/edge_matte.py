"""An object's own soft edge, just outside its binary mask: the matting equation.

Input masks are binary, objects are not: antialiasing, motion blur and hair make the pixels
along an object's outline a mix of the object and what is behind it, and a mask cut at 50%
leaves that mix outside. `sharpen_alpha` makes a layer opaque inside its mask and keeps only
what the model adds beyond the blurred silhouette outside it, so the outline stays in the
background: the layer has a hard edge and the object's rim is missing from it. On the
development benchmark the rim (within 2 pixels of the mask, outside any shadow or reflection)
holds 2-23% of each object's true alpha outside its mask, and the layers had little of it.

In a band `width` pixels wide outside each mask, the object's colour F is the mean colour of
the mask's outline (its pixels `inset` or more inside) within OUTLINE_WINDOW pixels of the
outline pixel nearest, what lies behind the layer B from the composite, and alpha from the
compositing equation I = a F + (1 - a) B by least squares with a prior a0 on alpha, worth
`prior_weight` of squared colour contrast:
    a = ((I - B) . (F - B) + w a0) / (|F - B|^2 + w),  clamped to [0, 1];
then the colour that gives the frame back at that alpha, F' = B + (I - B) / a (clamped), so
the layers still composite to the input. a0 from the mask's shape (`shape_prior`): the mask is
the object cut at 50% coverage, and where a straight edge crosses a pixel row, the pixel just
outside the cut is covered uniformly between 0 and 50%, 25% (`prior`) on average; a pixel that
touches the mask only at a corner is covered less, one in a notch more. The mask blurred by a
gaussian of 0.8 px, which gives a straight edge's neighbour exactly 0.25, says so per pixel
(on the benchmark's rims, the outside pixels touching the mask only diagonally hold 0.05 on
average, the others 0.22-0.25; a flat 0.25 on both had the layers at 0.14 on the former).
The prior is needed because F is a poor guess of the rim's true colour (on the
development benchmark the two are 0.3 apart in RGB, median), so projecting on F - B is noisy
unless the contrast is strong. Its weight follows from that: with a0 = 0.25 and the
coverage's spread (uniform on [0, 0.5], variance 0.021), an error of variance s^2 per channel
in F gives the projection a variance a^2 s^2 / |F - B|^2, so the two weigh equally at
|F - B|^2 = a0^2 s^2 / 0.021 = 3 s^2; s^2 = 0.3^2 / 3 gives w = 0.09, rounded to 0.1.
Where the mask is loose, the band is background: I = B up to noise, so the colour solved for
is B and the layer shows nothing new (the mask's own edge already holds that background).
The matte replaces the layer's alpha and colour only where it explains the frame better than
the layer already does (a shadow at the feet stays the shadow's), and nowhere near
another object's mask, whose edge is its own.

Where the object stands in its own effect (the feet in their shadow, the contact with the
water that reflects it), what lies under its edge is that effect over the background, not
the background alone. The layer's effect is read just beyond the band (BEYOND px,
premultiplied, averaged over OUTLINE_WINDOW px) and carried into it from the nearest pixel
there; the edge is matted over it, and the layer holds both: alpha a + (1 - a) s for an edge
a over an effect s. Matted over the background alone, the edge of a foot in its shadow takes
the shadow's darkening for a part of the object's colour, or for nothing. Session 25, on the
kept outputs of the default runs (`rescore.py`; association): dev 0.8358 -> 0.8376, live
(six runs) +0.005 each, synthetic split 0.819 -> 0.835.

F is a mean along the outline, not the nearest outline pixel alone, because one pixel of
texture, a glint or noise is not the colour of the rim beside it: on the development
benchmark's rims (true colours, true plate) alpha's error is 0.064 from the nearest pixel and
0.057 from the mean over 5 px (0.056 over 7 or 11), and through the whole decoding the rim's
error fell 0.067 -> 0.060 and association rose 0.831 -> 0.836.

The pixels on the mask's own edge are a mix too, so F from them overstates alpha on an
idealised ramp (the tests use `inset=2` there); on footage they explain the rim best (without
the prior: |frame - composite| where it acts 0.083 -> 0.049 with `inset=0`, 0.051 / 0.052
with 1 / 2 on boys-beach). Development benchmark, on the same layers
(`experiments/edge_matte/`): association 0.676 without the matte, 0.744 with the prior off
(`prior_weight=0`), 0.768 with it; effect IoU 0.886 / 0.910 / 0.920; PSNR 46.5 / 48.4 / 49.0 dB.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from .alpha_fit import _behind_each


OUTLINE_WINDOW = 5  # px: F is the outline's mean colour over this window
PRIOR_SIGMA = 0.8  # px: a straight edge's outside neighbour gets 0.25 of the blurred mask
BEYOND = 2  # px: the layer's own effect is read this far beyond the band


def shape_prior(mask: np.ndarray, prior: float = 0.25) -> np.ndarray:
    """(H, W) bool -> (H, W) float: each outside pixel's expected alpha from the mask's shape,
    the mask blurred by PRIOR_SIGMA scaled so that a straight edge's neighbour gets `prior`;
    0 inside the mask."""
    step = ndimage.gaussian_filter1d(np.r_[np.ones(8), np.zeros(8)], PRIOR_SIGMA)[8]
    blurred = ndimage.gaussian_filter(mask.astype(np.float64), PRIOR_SIGMA)
    return np.where(mask, 0.0, blurred * prior / step).clip(0, 1)


def matte_edges(rgba: torch.Tensor, frames: torch.Tensor, background: torch.Tensor,
                order: torch.Tensor, masks: np.ndarray, width: float = 2.0,
                inset: int = 0, prior: float = 0.25, prior_weight: float = 0.1) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1]; frames, background (n, 3, H, W); order (n, L) back to
    front; masks (L, n, H, W) bool -> rgba with each object's rim matted in a band `width`
    pixels outside its mask (module docstring). prior: the expected alpha of a straight
    edge's outside neighbour (`shape_prior` gives every pixel its own); prior_weight: how
    much colour contrast (squared RGB distance) it is worth."""
    L, n = rgba.shape[:2]
    out = rgba.clone()
    for t in range(n):
        behind, _ = _behind_each(out[:, t], background[t], order[t])
        for k in range(L):
            if masks[k, t].any():
                rim = _Rim(frames[t], behind[k], masks[:, t], k, width, inset, prior)
                rim.matte(out[k, t], prior_weight)
    return out


class _Rim:
    """Object k's band outside its mask in one frame: frame (3, H, W), what is behind its
    layer (3, H, W), masks (L, H, W) bool of every object in this frame."""

    def __init__(self, frame, behind, masks: np.ndarray, k: int, width: float, inset: int,
                 prior: float):
        distance = ndimage.distance_transform_edt(~masks[k])
        core = ndimage.binary_erosion(masks[k], iterations=inset) if inset else masks[k]
        _, (iy, ix) = ndimage.distance_transform_edt(~(core if core.any() else masks[k]),
                                                    return_indices=True)
        others = np.delete(masks, k, axis=0).any(0)
        near_other = ndimage.binary_dilation(others, iterations=int(np.ceil(width)))
        self.band = torch.from_numpy((distance > 0) & (distance <= width) & ~near_other)[None]
        # just beyond the band, where the layer's own effect (if any) is not the object's edge
        beyond = (distance > width) & (distance <= width + BEYOND) & ~near_other
        self.beyond = torch.from_numpy(beyond).to(frame.dtype)
        self.source = (tuple(torch.from_numpy(i) for i in ndimage.distance_transform_edt(
            ~beyond, return_indices=True)[1]) if beyond.any() else None)
        self.prior = torch.from_numpy(shape_prior(masks[k], prior))[None].to(frame.dtype)
        self.frame, self.behind = frame, behind
        outline = _outline_mean(frame, core if core.any() else masks[k])
        self.inside = outline[:, torch.from_numpy(iy), torch.from_numpy(ix)]  # F, from the nearest

    def matte(self, layer: torch.Tensor, weight: float) -> None:
        """In place on the object's layer (4, H, W)."""
        # the edge lies over the layer's own effect (a shadow at the feet), continued into the
        # band from just beyond it, and over what is behind the layer
        effect = self._effect_beyond(layer)  # (4, H, W): premultiplied colour, alpha
        under = effect[:3] + (1 - effect[3:]) * self.behind
        gap, offset = self.inside - under, self.frame - under
        # least squares on I = a F + (1 - a) under, pulled towards the shape's prior
        alpha = (offset * gap).sum(0, keepdim=True) + weight * self.prior
        alpha = (alpha / ((gap ** 2).sum(0, keepdim=True) + weight).clamp_min(1e-8)).clamp(0, 1)
        # the colour that, at this alpha, gives the frame back (F where alpha is too small)
        colour = (under + offset / alpha.clamp_min(1e-3)).clamp(0, 1)
        colour = torch.where(alpha > 0.02, colour, self.inside)
        # the layer holds both: the edge over its effect
        total = alpha + (1 - alpha) * effect[3:]
        held = alpha * colour + (1 - alpha) * effect[:3]
        colour = torch.where(total > 1e-3, held / total.clamp_min(1e-3), colour).clamp(0, 1)
        matted = total * colour + (1 - total) * self.behind
        current = layer[3:] * layer[:3] + (1 - layer[3:]) * self.behind
        better = ((self.frame - matted).abs().sum(0, keepdim=True)
                  < (self.frame - current).abs().sum(0, keepdim=True))
        take = self.band & better
        layer[3:] = torch.where(take, total, layer[3:])
        layer[:3] = torch.where(take, colour, layer[:3])

    def _effect_beyond(self, layer: torch.Tensor) -> torch.Tensor:
        """(4, H, W): the layer's premultiplied colour and alpha just beyond the band, averaged
        over OUTLINE_WINDOW px there and carried to each pixel from the nearest; 0 if none."""
        if self.source is None:
            return torch.zeros_like(layer)
        held = torch.cat([layer[:3] * layer[3:], layer[3:]])
        mean = _window_mean(held, self.beyond, OUTLINE_WINDOW)
        return mean[:, self.source[0], self.source[1]].clamp(0, 1)


def _outline_mean(frame: torch.Tensor, mask: np.ndarray,
                  window: int = OUTLINE_WINDOW) -> torch.Tensor:
    """frame (3, H, W), mask (H, W) bool -> (3, H, W): at each pixel of the mask's outline, the
    mean colour of the outline within `window` pixels (elsewhere meaningless). Computed in the
    mask's own box: per object and frame at the input size."""
    ys, xs = np.nonzero(mask)
    box = (slice(max(ys.min() - 1, 0), ys.max() + 2), slice(max(xs.min() - 1, 0), xs.max() + 2))
    inner = mask[box]
    outline = torch.from_numpy(inner & ~ndimage.binary_erosion(inner)).to(frame.dtype)
    out = torch.zeros_like(frame)
    out[:, box[0], box[1]] = _window_mean(frame[:, box[0], box[1]], outline, window)
    return out


def _window_mean(x: torch.Tensor, weight: torch.Tensor, window: int) -> torch.Tensor:
    """x (C, H, W), weight (H, W) 0/1 -> (C, H, W): the mean of x over the weighted pixels
    within a `window`-pixel square around each pixel (0 where there are none)."""
    pool = dict(kernel_size=window, stride=1, padding=window // 2)
    total = torch.nn.functional.avg_pool2d((x * weight)[None], **pool)[0]
    count = torch.nn.functional.avg_pool2d(weight[None, None], **pool)[0]
    return total / count.clamp_min(1e-8)
