"""Direct (photometric) alignment of two images by a homography, coarse to fine.

Feature matching (ORB or SIFT with RANSAC, scikit-image) was measured first on the real clips:
between frames a few steps apart on a beach or a lawn it found too few consistent matches, and
a wrong model won RANSAC. Aligning the pixels themselves uses every textured pixel of the
background, so low texture still constrains the fit, and it is sub-pixel accurate.

The fit is Gauss-Newton on the 8 homography entries plus a gain and a bias (exposure changes),
with robust (Cauchy) weights so that what the masks miss (shadows, waves) does not pull it, and
with the objects' pixels (the masks, dilated) left out of both images.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .homography import inside, rescale, sample, source_coords

PARAMS = 10  # 8 homography entries (h33 = 1), gain, bias


def align(template: torch.Tensor, image: torch.Tensor, w_template: torch.Tensor,
          w_image: torch.Tensor, init: np.ndarray, iterations: int = 30,
          min_size: int = 24, tolerance: float = 0.02) -> Tuple[np.ndarray, float]:
    """The homography G (3, 3) with image(G p) ~ template(p) for background pixels p.

    template, image (C, H, W) float colour in [0, 1] (colour, not grey: two regions of equal
    brightness and different hue still align); w_template, w_image (H, W) in [0, 1], 0 on
    pixels to ignore (objects); init (3, 3) a first guess of G. Returns G and the final robust
    residual: the weighted mean absolute difference, in grey levels (0-255). Each level stops
    when an update moves pixels by less than `tolerance` pixels (5x that on coarser levels,
    which only seed the next) or after `iterations` steps (a third of them on the finest).
    """
    levels = _pyramid_levels(template.shape[-2:], min_size)
    G, residual = np.asarray(init, np.float64), float("nan")
    size = tuple(template.shape[-2:])
    for level in reversed(range(levels)):
        t, i, wt, wi = (_down(x, level) for x in (template, image, w_template, w_image))
        G_level = rescale(G, size, t.shape[-2:])
        finest = level == 0  # 4x the pixels of the next level: few, short steps there
        G_level, residual = _gauss_newton(t, i, wt, wi, G_level,
                                          iterations // 3 if finest else iterations,
                                          tolerance if finest else 5 * tolerance)
        G = rescale(G_level, t.shape[-2:], size)
    return G / G[2, 2], residual


def _pyramid_levels(shape, min_size: int) -> int:
    levels, h, w = 1, *shape
    while min(h, w) // 2 >= min_size and levels < 6:
        levels, h, w = levels + 1, h // 2, w // 2
    return levels


def _down(x: torch.Tensor, level: int) -> torch.Tensor:
    """(..., H, W) halved `level` times by 2x2 averaging."""
    shape = x.shape[:-2]
    x = x.reshape((1, -1) + tuple(x.shape[-2:]))
    for _ in range(level):
        x = F.avg_pool2d(x, 2)
    return x.reshape(shape + x.shape[-2:])


def _gradients(img: torch.Tensor):
    """img (C, H, W) -> central differences d/dx, d/dy, each (C, H, W) (zero at the borders)."""
    gx = torch.zeros_like(img)
    gy = torch.zeros_like(img)
    gx[..., 1:-1] = (img[..., 2:] - img[..., :-2]) / 2
    gy[..., 1:-1, :] = (img[..., 2:, :] - img[..., :-2, :]) / 2
    return gx, gy


def _gauss_newton(t, img, wt, wi, G: np.ndarray, iterations: int, tolerance: float):
    """Robust Gauss-Newton at one pyramid level; returns G (pixels of this level), residual."""
    C, h, w = t.shape
    # normalised coordinates (centred, half-size 1) keep the 8 entries on similar scales
    s = max(h, w) / 2.0
    N = np.array([[1 / s, 0, -(w - 1) / (2 * s)], [0, 1 / s, -(h - 1) / (2 * s)], [0, 0, 1]])
    Gn = N @ G @ np.linalg.inv(N)
    Gn = Gn / Gn[2, 2]
    stack = torch.cat([img, *_gradients(img), wi[None]])[None].double()  # (1, 3C + 1, H, W)
    xs, ys = _normalised_grid(h, w, s)
    photo = np.array([0.0, 0.0])  # gain - 1, bias
    residual = float("nan")
    for _ in range(iterations):
        step, residual = _step(Gn, photo, stack, t, wt, xs, ys, s, N)
        if step is None:
            break
        Gn = Gn + np.append(step[:8], 0.0).reshape(3, 3)
        photo = photo + step[8:]
        if np.abs(step[:8]).max() * s < tolerance:  # the largest move, about, in pixels
            break
    G = np.linalg.inv(N) @ Gn @ N
    return G / G[2, 2], residual


def _normalised_grid(h: int, w: int, s: float):
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                            torch.arange(w, dtype=torch.float64), indexing="ij")
    return (xs - (w - 1) / 2) / s, (ys - (h - 1) / 2) / s


def _step(Gn, photo, stack, t, wt, xs, ys, s, N):
    """One robust Gauss-Newton step -> (update (10,), residual in grey levels), or None."""
    C, h, w = t.shape
    G_px = torch.from_numpy(np.linalg.inv(N) @ Gn @ N)[None]
    coords = source_coords(G_px, (h, w))  # (1, h, w, 2) image pixels read by template pixels
    read = sample(stack, coords)[0]
    val, gx, gy, w_img = read[:C], read[C:2 * C], read[2 * C:3 * C], read[3 * C]
    weight = wt.double() * w_img.clamp(0, 1) * inside(coords, (h, w))[0]
    if weight.sum() < 50:  # almost no overlap left: keep the current estimate
        return None, float("nan")
    gain, bias = 1.0 + photo[0], photo[1]
    r = gain * val + bias - t.double()  # (C, h, w)
    scale = max(1.4826 * float(r[:, weight > 0.5].abs().median()), 1.0 / 255)
    robust = weight / (1.0 + (r / (2.0 * scale)) ** 2)  # Cauchy IRLS weights, (C, h, w)
    J = _jacobian(Gn, xs, ys, gain * gx * s, gain * gy * s, val)  # (10, C, h, w)
    Jf, rf, wf = J.reshape(PARAMS, -1), r.reshape(-1), robust.reshape(-1)
    A = (Jf * wf) @ Jf.T
    b = (Jf * wf) @ rf
    A = A + 1e-6 * torch.diag(torch.diag(A)) + 1e-12 * torch.eye(PARAMS, dtype=A.dtype)
    step = torch.linalg.solve(A, -b).numpy()
    residual = float((weight * r.abs()).sum() / weight.sum() / C) * 255
    return step, residual


def _jacobian(Gn, xs, ys, gx, gy, val) -> torch.Tensor:
    """d residual / d (h11..h32, gain, bias) at every pixel -> (10, C, h, w).

    gx, gy (C, h, w) are image gradients w.r.t. normalised coordinates, times the gain."""
    h = torch.from_numpy(Gn)
    D = h[2, 0] * xs + h[2, 1] * ys + 1.0
    u = (h[0, 0] * xs + h[0, 1] * ys + h[0, 2]) / D
    v = (h[1, 0] * xs + h[1, 1] * ys + h[1, 2]) / D
    ones = torch.ones_like(xs)
    du = (torch.stack([xs, ys, ones]) / D)[:, None]  # d u / d (h11, h12, h13), (3, 1, h, w)
    persp = (torch.stack([-xs, -ys]) / D)[:, None]  # d u / d (h31, h32) is u * this
    return torch.cat([gx * du, gy * du, (gx * u + gy * v) * persp,
                      val[None], torch.ones_like(val)[None]])
