"""Real material for the dev benchmark: background plates and object sprites cut from real clips.

The clips (see /work/shared/data/real/README.md) are read in place and never copied into the repo.
Plates are the per-pixel median of unmasked pixels (omnigame's own `median_background`), so the
objects of the source clip are gone but every texture is real; sprites are the masked objects,
per frame, with a slightly softened mask as alpha, so their motion and deformation are real too.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from scipy import ndimage
from skimage.transform import resize

from omnigame.data.background import median_background

REAL_ROOT = Path("/work/shared/data/real")
# Objects usable as sprites: (clip, mask file). The kite-walk pole spans the whole frame height
# (no feet to stand on the ground), so it only ever serves as part of that clip's background.
SPRITES = {"boy_a": ("boys-beach", "mask_00.mp4"), "boy_b": ("boys-beach", "mask_01.mp4"),
           "surfer": ("davis_kite-walk", "mask_01.mp4")}


@lru_cache(maxsize=4)
def load_clip(clip: str, root: str = str(REAL_ROOT)):
    """(frames (N, H, W, 3) uint8, masks (L, N, H, W) bool) of one clip, masks thresholded at 128."""
    folder = Path(root) / clip
    frames = iio.imread(folder / "input_video.mp4", plugin="pyav")[..., :3]
    masks = [iio.imread(p, plugin="pyav")[..., 0] >= 128 for p in sorted(folder.glob("mask_*.mp4"))]
    n = min([len(frames)] + [len(m) for m in masks])  # mask videos may be a frame short
    return frames[:n], np.stack([m[:n] for m in masks])


@lru_cache(maxsize=4)
def clip_plate(clip: str, root: str = str(REAL_ROOT)) -> np.ndarray:
    """(H, W, 3) uint8 clean plate of a clip at full resolution: median of unmasked pixels."""
    frames, masks = load_clip(clip, root)
    # dilate: the lossy mask videos leave a thin halo of object colour around each mask
    grown = np.stack([ndimage.binary_dilation(m, iterations=4, structure=np.ones((1, 3, 3), bool))
                      for m in masks])
    plate, _ = median_background(frames, grown, max_frames=32)  # 32 spread frames: ~1 s, enough
    return plate


def crop_plate(plate: np.ndarray, box, size, flip: bool) -> np.ndarray:
    """Cut box = (y0, x0, h, w) out of a plate, resize to size (H, W) with anti-aliasing, mirror."""
    y0, x0, h, w = box
    part = plate[y0:y0 + h, x0:x0 + w].astype(np.float64)
    out = resize(part, tuple(size) + (3,), order=1, anti_aliasing=True, preserve_range=True)
    out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    return out[:, ::-1].copy() if flip else out


def live_frames(clip: str, box, size, flip: bool, start: int, count: int,
                root: str = str(REAL_ROOT)) -> np.ndarray:
    """(count, H, W, 3) uint8: frames start..start+count-1 of a clip cut to box (y0, x0, h, w)
    and resized like `crop_plate`: real footage as a background, waves and camera shake included.
    Raises if any of the clip's own objects (masks grown by 4 pixels) enters the box."""
    frames, masks = load_clip(clip, root)
    y0, x0, h, w = box
    span = slice(start, start + count)
    if start + count > len(frames):
        raise ValueError(f"{clip}: frames {start}..{start + count - 1} asked, {len(frames)} there")
    near = ndimage.binary_dilation(masks[:, span].any(0), iterations=4,
                                   structure=np.ones((1, 3, 3), bool))
    if near[:, y0:y0 + h, x0:x0 + w].any():
        raise ValueError(f"{clip}: box {box} holds the clip's own objects in frames "
                         f"{start}..{start + count - 1}; choose a box beside them")
    return np.stack([crop_plate(f, box, size, flip) for f in frames[span]])


@dataclass
class Sprite:
    """One object over `n` frames: premultiplied RGBA (n, 4, h, w) float32 in [0, 1] cut to the
    object's bounding box, per-frame feet anchor (n, 2) as (x, y) in that box, and the height of
    the object's body in pixels (thin parts such as kite lines do not count)."""

    rgba: np.ndarray
    feet: np.ndarray
    body_height: float


def cut_sprite(name: str, start: int, count: int, soften: float = 1.2,
               root: str = str(REAL_ROOT)) -> Sprite:
    """Frames start..start+count-1 of a real object as a Sprite; alpha = mask blurred by `soften`
    pixels (full resolution), so the cut-out edge is soft like a real matte, not a staircase."""
    clip, mask_file = SPRITES[name]
    frames, masks = load_clip(clip, root)
    index = sorted(p.name for p in (Path(root) / clip).glob("mask_*.mp4")).index(mask_file)
    start = int(np.clip(start, 0, len(frames) - count))
    mask = masks[index, start:start + count]
    rows, cols = np.where(mask.any(0).any(1))[0], np.where(mask.any(0).any(0))[0]
    pad = 6
    y0, y1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, mask.shape[1])
    x0, x1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, mask.shape[2])
    alpha = ndimage.gaussian_filter(mask[:, y0:y1, x0:x1].astype(np.float32), (0, soften, soften))
    rgb = frames[start:start + count, y0:y1, x0:x1].astype(np.float32) / 255.0
    rgba = np.concatenate([rgb * alpha[..., None], alpha[..., None]], -1).transpose(0, 3, 1, 2)
    return Sprite(np.ascontiguousarray(rgba), _feet(mask[:, y0:y1, x0:x1]), _body_height(mask))


def _feet(mask: np.ndarray) -> np.ndarray:
    """(n, 2) feet point per frame: lowest mask row, mean column of the lowest 8% of the object;
    smoothed over 5 frames so the placed object does not jitter with the mask's noise."""
    out = np.zeros((len(mask), 2), np.float32)
    for t, m in enumerate(mask):
        rows = np.where(m.any(1))[0]
        low = max(rows[-1] - 0.08 * (rows[-1] - rows[0]), rows[0])
        ys, xs = np.nonzero(m[int(low):])
        out[t] = xs.mean(), rows[-1]
    return ndimage.uniform_filter1d(out, 5, axis=0, mode="nearest")


def _body_height(mask: np.ndarray) -> float:
    """Median over frames of the extent of rows that hold at least 15% of the widest row's pixels."""
    heights = []
    for m in mask:
        count = m.sum(1)
        rows = np.where(count >= 0.15 * count.max())[0]
        heights.append(rows[-1] - rows[0] + 1)
    return float(np.median(heights))
