"""A PNG grid for eyeballing scenes (stable view, i.e. what write_scene puts on disk).

Per scene, a block of rows; columns are evenly spaced frames, plus one last column:
  1. rendered frames                                  | true clean plate
  2. input masks, one colour per object               | background the model gets (bg_est)
  3. per object: true layer (object + effects) over a checkerboard
  4. per object: effect-only alpha (true layer alpha minus the object's own alpha), white = opaque
Blocks are separated by a white band.
"""
from __future__ import annotations

import logging
from typing import List, Sequence

import imageio.v3 as iio
import numpy as np

from ..io.layers import over_checkerboard

log = logging.getLogger(__name__)

PALETTE = np.array([[230, 60, 60], [60, 180, 75], [70, 110, 230], [240, 200, 40],
                    [200, 80, 220], [60, 210, 210]], np.uint8)


def mask_image(masks: np.ndarray) -> np.ndarray:
    """(L, H, W) bool -> (H, W, 3) uint8, each object in its palette colour on black."""
    out = np.zeros(masks.shape[1:] + (3,), np.uint8)
    for i, m in enumerate(masks):
        out[m] = PALETTE[i % len(PALETTE)]
    return out


def scene_block(scene, columns: int = 6) -> np.ndarray:
    """(rows*H, (columns+1)*W, 3) uint8 grid for one scene (see module docstring)."""
    video, view = scene.to_video(), scene.stable
    n, h, w = video.frames.shape[:3]
    picks = np.linspace(0, n - 1, min(columns, n)).round().astype(int)
    blank = np.full((h, w, 3), 255, np.uint8)
    rows = [[video.frames[t] for t in picks] + [scene.plate],
            [mask_image(view.masks[:, t]) for t in picks] + [video.background]]
    for l in range(scene.num_objects):
        rows.append(list(over_checkerboard(view.layers[l, picks])) + [blank])
    effect = view.effect_alpha()
    for l in range(scene.num_objects):
        rows.append([np.repeat(effect[l, t][..., None], 3, 2) for t in picks] + [blank])
    return np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0)


def contact_sheet(scenes: Sequence, path: str, columns: int = 6) -> np.ndarray:
    """Write a PNG of scene blocks stacked vertically to `path`; returns the image (H, W, 3)."""
    blocks: List[np.ndarray] = []
    for scene in scenes:
        block = scene_block(scene, columns)
        if blocks:
            blocks.append(np.full((6, block.shape[1], 3), 255, np.uint8))
        blocks.append(block)
    width = max(b.shape[1] for b in blocks)
    blocks = [np.pad(b, ((0, 0), (0, width - b.shape[1]), (0, 0)), constant_values=255) for b in blocks]
    sheet = np.concatenate(blocks, axis=0)
    iio.imwrite(path, sheet)
    log.info("contact sheet of %d scenes written to %s", len(scenes), path)
    return sheet
