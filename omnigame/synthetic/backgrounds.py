"""Clean background plates: a photo or texture above a horizon and a ground plane or water below.

Plates are float32 (Hc, Wc, 3) in [0, 1] over the whole canvas (larger than the frame when the
camera moves). Kinds:
  ground  - sky/scene photo above the horizon, a perspective-mapped textured floor below it
  water   - photo above a waterline, its rippled, tinted mirror image below (reflections go here)
  photo   - a single photo crop; objects walk on its lower part
  texture - a single procedural texture
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import numpy as np
from scipy import ndimage

from .textures import photo_crop, photo_names, random_texture


@dataclass
class Plate:
    """image (Hc, Wc, 3) float32; horizon: canvas row of the ground/water line; ids for the split."""

    image: np.ndarray
    kind: str
    horizon: float
    ids: List[str] = field(default_factory=list)


def sample_plate(rng: np.random.Generator, kinds: List[str], weights: List[float], split: str,
                 canvas: tuple, horizon: float) -> Plate:
    """A plate of a random kind for a (Hc, Wc) canvas whose ground starts at row `horizon`."""
    p = np.asarray(weights, np.float64)
    kind = str(rng.choice(kinds, p=p / p.sum()))
    if kind == "texture":
        image, tid = random_texture(rng, split, canvas, photo_prob=0.0)
        return Plate(image, kind, horizon, [tid])
    name = str(rng.choice(photo_names(split)))
    image, ids = photo_crop(name, rng, canvas, tint=True), [f"photo:{name}"]
    if kind == "ground":
        floor, fid = random_texture(rng, split, (128, 128), photo_prob=0.5)
        image = lay_floor(image, floor, horizon, rng)
        ids.append(fid)
    elif kind == "water":
        image = flood(image, horizon, rng)
    return Plate(image.astype(np.float32), kind, horizon, ids)


def lay_floor(image: np.ndarray, floor: np.ndarray, horizon: float,
              rng: np.random.Generator) -> np.ndarray:
    """Replace rows below `horizon` of image (Hc, Wc, 3) by floor (h, w, 3) seen in perspective."""
    hc, wc = image.shape[:2]
    rows = np.arange(hc, dtype=np.float32)[:, None]
    cols = np.arange(wc, dtype=np.float32)[None, :]
    depth_px = np.maximum(rows - horizon, 0.5)  # distance below the horizon
    focal = (hc - horizon) * rng.uniform(0.6, 1.4)
    tiles = rng.uniform(1.0, 3.0)  # floor texture repeats this often across the bottom row
    v = focal / depth_px * floor.shape[0] / tiles * 0.25 + rng.uniform(0, floor.shape[0])
    u = (cols - wc * rng.uniform(0.3, 0.7)) * focal / depth_px / wc * floor.shape[1] / tiles
    u = np.broadcast_to(u, (hc, wc))
    # mirrored tiles wrap without seams; far rows alias badly, so they fade into haze
    floor = np.concatenate([floor, floor[::-1]], axis=0)
    floor = np.concatenate([floor, floor[:, ::-1]], axis=1)
    smooth = ndimage.gaussian_filter(floor, (1.5, 1.5, 0), mode="wrap")
    coords = np.stack([np.broadcast_to(v, (hc, wc)), u])
    ground = np.stack([ndimage.map_coordinates(smooth[..., c], coords, order=1, mode="grid-wrap")
                       for c in range(3)], axis=-1)
    haze = np.exp(-depth_px / (0.12 * hc))[..., None]
    ground = ground * (1 - haze) + smooth.mean((0, 1)) * haze
    below = (rows >= horizon)[..., None]
    return np.where(below, ground, image)


def flood(image: np.ndarray, waterline: float, rng: np.random.Generator) -> np.ndarray:
    """Rows below `waterline` become water mirroring the rows above it: tinted, rippled, blurred."""
    hc, wc = image.shape[:2]
    rows = np.arange(hc, dtype=np.float32)
    src_rows = np.abs(2 * waterline - rows)  # mirror about the waterline, bounce at the top
    ripple = rng.uniform(0.5, 2.0) * np.sin(rows * rng.uniform(0.5, 1.5) + rng.uniform(0, 6.3))
    cols = np.arange(wc, dtype=np.float32)[None, :] + ripple[:, None]
    coords = np.stack(np.broadcast_arrays(src_rows[:, None], cols))
    mirrored = np.stack([ndimage.map_coordinates(image[..., c], coords, order=1, mode="mirror")
                         for c in range(3)], axis=-1)
    tint = np.array([0.15, 0.3, 0.4], np.float32) * rng.uniform(0.5, 1.2, 3)
    strength = rng.uniform(0.3, 0.6)
    water = ndimage.gaussian_filter(mirrored, (1.0, 0.7, 0)) * (1 - strength) + tint * strength
    below = (rows >= waterline)[:, None, None]
    return np.clip(np.where(below, water, image), 0.0, 1.0)
