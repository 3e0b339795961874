"""Quality metrics for a layer decomposition: small pure numpy functions.

Conventions (every function says which it uses):
  - images and videos are channel-last: a video is (N, H, W, C), a set of object layers (L, N, H, W, C);
  - uint8 arrays hold 0..255; where a function takes "alpha" or "rgba" of either dtype, uint8 is read as
    0..255 and floating point as already in [0, 1] (see `to_unit`);
  - results are plain Python floats (or lists of them), ready for JSON.

`effect_iou` reproduces the reference evaluation (google/omnimatte-sp eval.py) exactly; see its docstring.
"""
from __future__ import annotations

import logging
from typing import Dict, List, Optional

import numpy as np
from skimage.metrics import structural_similarity
from skimage.transform import resize
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

PSNR_CAP_DB = 100.0  # PSNR reported for identical inputs (MSE 0) instead of +inf
REFERENCE_SIZE = (128, 128)  # resolution at which the reference computes effect IoU
REFERENCE_THRESHOLD = 0.25 * 255  # 63.75, on the squared RGB distance sum, 0..255 units


def to_unit(x: np.ndarray) -> np.ndarray:
    """uint8 0..255 -> float64 [0, 1]; floating point arrays are taken to be in [0, 1] already."""
    if np.issubdtype(x.dtype, np.integer):
        return x.astype(np.float64) / 255.0
    return x.astype(np.float64)


def frame_chunks(x: np.ndarray, frames: int = 8):
    """Slices of up to `frames` entries along the first axis of a video (N, H, W, C); a single
    image (ndim < 4) is one slice."""
    if x.ndim < 4:
        return [slice(None)]
    return [slice(s, s + frames) for s in range(0, x.shape[0], frames)]


# ---------------------------------------------------------------------------------------------
# Reconstruction fidelity

def psnr(a: np.ndarray, b: np.ndarray, max_value: float = 255.0,
         mask: Optional[np.ndarray] = None) -> float:
    """Peak signal-to-noise ratio in dB between two arrays of the same shape.

    a, b:      (..., C) any dtype, in units where `max_value` is the peak (255 for uint8 images).
    mask:      optional weights broadcastable to a.shape or to a.shape[:-1] (e.g. (N, H, W) for a video);
               the MSE is then averaged over the masked elements only.
    Returns PSNR in dB, capped at PSNR_CAP_DB (100 dB) when the inputs are identical,
    and nan (with a warning) when the mask selects nothing.
    """
    if a.shape != b.shape:
        raise ValueError(f"psnr: shapes differ, {a.shape} vs {b.shape}")
    w = None
    if mask is not None:
        w = np.asarray(mask)
        w = np.broadcast_to(w[..., None] if w.ndim == a.ndim - 1 else w, a.shape)  # a view
    total, count = 0.0, 0.0
    # a few frames at a time: a float64 copy of a whole long video would take gigabytes
    for part in frame_chunks(a):
        diff2 = (a[part].astype(np.float64) - b[part].astype(np.float64)) ** 2
        weight = None if w is None else w[part].astype(np.float64)
        total += float(diff2.sum() if weight is None else (diff2 * weight).sum())
        count += float(diff2.size if weight is None else weight.sum())
    if count == 0:
        logger.warning("psnr: the mask selects no pixels; returning nan")
        return float("nan")
    mse = total / count
    if mse == 0.0:
        return PSNR_CAP_DB
    return float(min(PSNR_CAP_DB, 10.0 * np.log10(max_value ** 2 / mse)))


def psnr_per_frame(a: np.ndarray, b: np.ndarray, max_value: float = 255.0) -> List[float]:
    """PSNR (dB, capped like `psnr`) of each frame of two videos a, b: (N, H, W, C). Returns N floats."""
    if a.shape != b.shape:
        raise ValueError(f"psnr_per_frame: shapes differ, {a.shape} vs {b.shape}")
    return [psnr(fa, fb, max_value) for fa, fb in zip(a, b)]


def ssim(a: np.ndarray, b: np.ndarray, progress: bool = False) -> float:
    """Mean over frames of SSIM between two uint8 RGB videos a, b: (N, H, W, 3), data range 255.

    Uses skimage's default 7x7 uniform window; frames smaller than 7 pixels use the largest odd
    window that fits (SSIM needs at least 3x3).
    """
    if a.shape != b.shape:
        raise ValueError(f"ssim: shapes differ, {a.shape} vs {b.shape}")
    side = min(a.shape[1:3])
    win = min(7, side if side % 2 else side - 1)  # largest odd window that fits, at most 7
    if win < 3:
        raise ValueError(f"ssim: frames of size {a.shape[1:3]} are too small (need >= 3x3)")
    pairs = tqdm(zip(a, b), total=len(a), desc="SSIM", unit="frame", disable=not progress)
    scores = [structural_similarity(fa, fb, win_size=win, channel_axis=-1, data_range=255)
              for fa, fb in pairs]
    return float(np.mean(scores))


# ---------------------------------------------------------------------------------------------
# Effect IoU (the reference's only metric)

def _resize_video(x: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of (N, H, W[, C]) to (N, *size[, C]) in float64, no anti-aliasing."""
    out_shape = (x.shape[0], *size, *x.shape[3:])
    return resize(x.astype(np.float64), out_shape, order=1, mode="edge",
                  anti_aliasing=False, preserve_range=True)


def effect_iou(rgba: np.ndarray, background: np.ndarray, gt_mask: np.ndarray,
               threshold: float = REFERENCE_THRESHOLD, size=None) -> float:
    """Soft IoU between a predicted layer's visible footprint and a true object+effect mask.

    Exactly the reference eval.py, per object, over all given frames together:
        P = a * rgb + (1 - a) * bg          (0..255 units, a = alpha / 255)
        D = sum_RGB (P - bg)^2 > threshold   (binary; threshold 63.75 is on the SQUARED distance)
        G = gt_mask / 255                    (soft)
        IoU = sum(D * G) / sum(clip(D + G, 0, 1))

    rgba:       (N, H, W, 4) predicted layer of ONE object, 0..255 (uint8 or float), straight colour.
    background: (H, W, 3) or (N, H, W, 3) uint8, the TRUE clean plate.
    gt_mask:    (N, H, W) uint8 true object+effect mask (0..255, read as soft; `visible_footprint` makes it).
    size:       None to evaluate at the given resolution, or (h, w) to resize all inputs bilinearly
                first (the layer premultiplied). The reference number is at (128, 128): it resizes
                the background and the ground-truth mask to 128x128 and expects 128x128 predictions.
                Our bilinear resize may differ slightly from the reference's image library, so results
                are bit-comparable only when the inputs already are 128x128 (then pass size=None).
    Returns the IoU in [0, 1]; nan (with a warning) when both D and G are empty.
    """
    rgba = rgba.astype(np.float64)
    a = rgba[..., 3:] / 255.0
    premultiplied = a * rgba[..., :3]
    bg = np.broadcast_to(background, rgba.shape[:-1] + (3,)).astype(np.float64)
    gt = gt_mask.astype(np.float64)
    if size is not None:  # premultiplied, so colour under alpha 0 does not bleed into edges
        premultiplied, a, bg, gt = (_resize_video(x, tuple(size)) for x in (premultiplied, a, bg, gt))
    d = _changes(premultiplied, a, bg, threshold).astype(np.float64)
    g = gt / 255.0
    union = np.clip(d + g, 0.0, 1.0).sum()
    if union == 0:
        logger.warning("effect_iou: predicted and true regions are both empty; returning nan")
        return float("nan")
    return float((d * g).sum() / union)


def _changes(premultiplied: np.ndarray, a: np.ndarray, bg: np.ndarray,
             threshold: float) -> np.ndarray:
    """Where a layer visibly changes the plate: sum_RGB (P - bg)^2 > threshold, 0..255 units."""
    composite = premultiplied + (1.0 - a) * bg
    return ((composite - bg) ** 2).sum(-1) > threshold


def visible_footprint(rgba: np.ndarray, background: np.ndarray,
                      threshold: float = REFERENCE_THRESHOLD) -> np.ndarray:
    """The true object+effect mask of a layer: uint8 255 where it visibly changes the plate.

    rgba (..., N, H, W, 4) straight RGBA 0..255; background (H, W, 3) or (N, H, W, 3) 0..255.
    The reference's Kubric masks mark the pixels an object and its effects change in the render
    (binary). The layer's alpha is no such mask: a 40% shadow would count only 0.4 per pixel, so
    even the true layers would score far below 1 (0.56 on the dev benchmark, below the mask-only
    matte). Here the mask is the same "visible change" test `effect_iou` applies to predictions,
    so the true layers score exactly 1."""
    rgba = rgba.astype(np.float64)
    a = rgba[..., 3:] / 255.0
    bg = np.broadcast_to(background, rgba.shape[:-1] + (3,)).astype(np.float64)
    return _changes(a * rgba[..., :3], a, bg, threshold).astype(np.uint8) * 255


def effect_iou_objects(rgba: np.ndarray, background: np.ndarray, gt_masks: np.ndarray,
                       threshold: float = REFERENCE_THRESHOLD, size=None) -> Dict[str, object]:
    """`effect_iou` for every object: rgba (L, N, H, W, 4), gt_masks (L, N, H, W), background as there.

    Returns {"per_object": [L floats], "mean": mean over objects}. The reference takes a plain mean
    (nan if any object is nan); we ignore nan objects (nan only if all are).
    """
    if rgba.shape[0] != gt_masks.shape[0]:
        raise ValueError(f"effect_iou_objects: {rgba.shape[0]} layers but {gt_masks.shape[0]} masks")
    ious = [effect_iou(r, background, g, threshold, size) for r, g in zip(rgba, gt_masks)]
    return {"per_object": ious, "mean": _nanmean(ious)}


def _nanmean(values: List[float]) -> float:
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


# ---------------------------------------------------------------------------------------------
# Layer accuracy against ground-truth layers

def alpha_error(pred_alpha: np.ndarray, true_alpha: np.ndarray) -> float:
    """Mean absolute alpha error in [0, 1] units. pred_alpha, true_alpha: same shape, e.g. (L, N, H, W);
    uint8 read as 0..255, floats as [0, 1]."""
    if pred_alpha.shape != true_alpha.shape:
        raise ValueError(f"alpha_error: shapes differ, {pred_alpha.shape} vs {true_alpha.shape}")
    return float(np.abs(to_unit(pred_alpha) - to_unit(true_alpha)).mean())


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """(..., 4) straight RGBA (uint8 or [0, 1] float) -> (..., 4) float64 [0, 1]: (a*r, a*g, a*b, a)."""
    x = to_unit(rgba)
    return np.concatenate([x[..., :3] * x[..., 3:], x[..., 3:]], axis=-1)


def rgba_psnr(pred_rgba: np.ndarray, true_rgba: np.ndarray) -> float:
    """PSNR (dB, capped at 100) between two RGBA layers over PREMULTIPLIED colour plus alpha.

    pred_rgba, true_rgba: (..., 4) straight (not premultiplied) RGBA, uint8 or [0, 1] float.
    Premultiplying means colour under zero alpha, which is invisible, does not count;
    the 4 channels (a*rgb, a) are compared in [0, 1] with peak 1.
    """
    if pred_rgba.shape != true_rgba.shape:
        raise ValueError(f"rgba_psnr: shapes differ, {pred_rgba.shape} vs {true_rgba.shape}")
    return psnr(premultiply(pred_rgba), premultiply(true_rgba), max_value=1.0)


def association_accuracy(pred_alpha: np.ndarray, true_alpha: np.ndarray,
                         masks: np.ndarray) -> Dict[str, object]:
    """How much of each object's effect (shadow, reflection) ends up in that object's own layer.

    pred_alpha, true_alpha: (L, N, H, W) alpha of predicted / true layers (uint8 0..255 or float [0, 1]).
    masks:                  (L, N, H, W) bool input object masks.

    Object k's effect is its true alpha outside its own mask, e_k = true_k * (1 - mask_k).
    Per pixel, the effect mass correctly claimed by layer k is c_k = min(pred_k, e_k); the mass wrongly
    claimed by another layer j is w_jk = min(max(pred_j - true_j, 0), e_k), i.e. alpha j has there beyond
    its own truth. The score is a soft IoU:
        acc_k = sum(c_k) / (sum(e_k) + sum_{j != k} sum(w_jk))
    1 for a perfect decomposition, 0 when the effect is missing or sits only in another layer,
    0.5 when it is duplicated in two layers. Objects without effect (sum(e_k) == 0) get nan.
    Note: soft object edges outside a binary mask count as a (small) effect.
    Returns {"per_object": [L floats], "mean": mean over objects with an effect (nan if none)}.
    """
    pred, true = to_unit(pred_alpha), to_unit(true_alpha)
    if pred.shape != true.shape or masks.shape != true.shape:
        raise ValueError(f"association_accuracy: shapes differ: pred {pred.shape}, "
                         f"true {true.shape}, masks {masks.shape}")
    surplus = np.clip(pred - true, 0.0, None)  # (L, N, H, W) alpha beyond each layer's truth
    scores = []
    for k in range(true.shape[0]):
        effect = true[k] * (1.0 - masks[k].astype(np.float64))
        mass = effect.sum()
        if mass == 0:
            scores.append(float("nan"))
            continue
        correct = np.minimum(pred[k], effect).sum()
        wrong = sum(np.minimum(surplus[j], effect).sum() for j in range(true.shape[0]) if j != k)
        scores.append(float(correct / (mass + wrong)))
    return {"per_object": scores, "mean": _nanmean(scores)}
