"""Small contact-sheet PNGs for the dev benchmark (kept in the repo, so they must stay small).

Images are laid out as rows of frames, then shrunk and stored with a 256-colour palette: a sheet
of photo content is ~5x smaller that way and still good enough to see where an effect went.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np
from PIL import Image
from scipy import ndimage

from omnigame.io.layers import over_checkerboard as over_checker
from omnigame.synthetic.contact_sheet import PALETTE


def outline(frame: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(H, W, 3) frame with each object's mask (L, H, W) bool drawn as a 1-pixel coloured outline."""
    out = frame.copy()
    for i, m in enumerate(masks):
        edge = m & ~ndimage.binary_erosion(m)
        out[edge] = PALETTE[i % len(PALETTE)]
    return out


def pick(n: int, count: int = 4) -> List[int]:
    return np.linspace(0, n - 1, min(count, n)).round().astype(int).tolist()


def grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 2) -> np.ndarray:
    """Rows of equally sized (H, W, 3) uint8 tiles -> one image with white gaps between tiles."""
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + gap) - gap, cols * (w + gap) - gap, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            out[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = tile[..., :3]
    return out


def save_small(path, image: np.ndarray, scale: float = 1.0) -> None:
    """Shrink by `scale` and write a palette PNG (typically 40-100 KB for a benchmark sheet)."""
    img = Image.fromarray(image)
    if scale != 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def scene_sheet(frames, masks, layers, count: int = 4) -> np.ndarray:
    """Input frames with masks outlined, then each true layer over a checkerboard.

    frames (N, H, W, 3), masks (L, N, H, W) bool, layers (L, N, H, W, 4) uint8."""
    ts = pick(len(frames), count)
    rows = [[outline(frames[t], masks[:, t]) for t in ts]]
    rows += [[over_checker(layer[t]) for t in ts] for layer in layers]
    return grid(rows)


def result_sheet(frames, true_layers, pred_layers, count: int = 3) -> np.ndarray:
    """Per object a row: for a few frames, input | true layer | our layer (layers on a checkerboard)."""
    ts = pick(len(frames), count)
    rows = []
    for true, pred in zip(true_layers, pred_layers):
        row = []
        for t in ts:
            row += [frames[t], over_checker(true[t]), over_checker(pred[t])]
        rows.append(row)
    return grid(rows)
