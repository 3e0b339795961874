"""Image sources for backgrounds and object skins: scikit-image photos and procedural noise.

The train and test splits draw from disjoint photo lists and disjoint noise seeds (even seeds
for train, odd for test), so a held-out scene never reuses a train background or texture.
Every texture is float32 (h, w, 3) in [0, 1] and carries an id string for the manifest.
"""
from __future__ import annotations

import functools
import logging
from typing import List, Tuple

import numpy as np
from scipy import ndimage
from skimage import data as skdata

log = logging.getLogger(__name__)

# Photos shipped inside scikit-image (no download). 'cat' is 'chelsea', so it is left out.
PHOTOS = {
    "train": ["astronaut", "chelsea", "rocket", "hubble_deep_field", "retina", "camera",
              "grass", "brick", "moon", "coins", "page"],
    "test": ["coffee", "immunohistochemistry", "stereo_motorcycle", "gravel", "clock", "text"],
}
MAX_SIDE = 384  # photos are shrunk once per process; scenes are at most a few hundred pixels


def photo_names(split: str) -> List[str]:
    """Names of the photos a split may use (backgrounds and object skins alike)."""
    return list(PHOTOS[split])


@functools.lru_cache(maxsize=None)
def load_photo(name: str) -> np.ndarray:
    """(h, w, 3) float32 in [0, 1], longest side <= MAX_SIDE; cached per process."""
    img = getattr(skdata, name)()
    if isinstance(img, tuple):  # stereo_motorcycle returns (left, right, disparity)
        img = img[0]
    img = np.asarray(img, dtype=np.float32)
    img = img / 255.0 if img.max() > 1.0 else img
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    zoom = min(1.0, MAX_SIDE / max(img.shape[:2]))
    if zoom < 1.0:
        img = ndimage.zoom(img, (zoom, zoom, 1), order=1, prefilter=False)
    return np.clip(img[..., :3], 0.0, 1.0)


def texture_seed(rng: np.random.Generator, split: str) -> int:
    """A noise seed from this split's half of the seed space (even: train, odd: test)."""
    return int(rng.integers(0, 2**30)) * 2 + (split == "test")


def noise_field(rng: np.random.Generator, shape: Tuple[int, int]) -> np.ndarray:
    """(h, w) float32 fractal value noise in [0, 1]: four octaves of smoothly upsampled grids."""
    h, w = shape
    field = np.zeros((h, w), np.float32)
    amplitude = 1.0
    for octave in range(4):
        cells = 2 ** (octave + 2)
        coarse = rng.random((cells + 1, cells + 1)).astype(np.float32)
        up = ndimage.zoom(coarse, (h / (cells + 1), w / (cells + 1)), order=3, grid_mode=True,
                          mode="nearest")
        field += amplitude * _pad_to(up[..., None], shape)[:h, :w, 0]
        amplitude *= rng.uniform(0.4, 0.7)
    return (field - field.min()) / max(float(np.ptp(field)), 1e-6)


def noise_texture(seed: int, shape: Tuple[int, int]) -> np.ndarray:
    """(h, w, 3) float32 fractal noise in two random colours, deterministic from seed."""
    rng = np.random.default_rng(seed)
    field = noise_field(rng, shape)
    if rng.random() < 0.3:  # stripes or rings make some textures less cloud-like
        field = 0.5 + 0.5 * np.sin(field * rng.uniform(6, 20))
    colours = rng.random((2, 3)).astype(np.float32)
    return colours[0] + field[..., None] * (colours[1] - colours[0])


def photo_crop(name: str, rng: np.random.Generator, shape: Tuple[int, int],
               tint: bool = False) -> np.ndarray:
    """(h, w, 3) float32 random crop of a photo resized to shape; grey photos get a random tint."""
    img = load_photo(name)
    ph, pw = img.shape[:2]
    h, w = shape
    scale = rng.uniform(0.4, 1.0) * min(ph / h, pw / w)
    ch, cw = max(2, int(h * scale)), max(2, int(w * scale))
    y0, x0 = rng.integers(0, ph - ch + 1), rng.integers(0, pw - cw + 1)
    crop = ndimage.zoom(img[y0:y0 + ch, x0:x0 + cw], (h / ch, w / cw, 1), order=1,
                        prefilter=False, grid_mode=True, mode="nearest")[:h, :w]
    crop = _pad_to(crop, shape)
    if tint and np.allclose(crop[..., 0], crop[..., 1]):
        crop = crop * rng.uniform(0.5, 1.0, 3).astype(np.float32)
    return np.clip(crop, 0.0, 1.0).astype(np.float32)


def _pad_to(img: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    # ndimage.zoom can come out one pixel short of the requested size
    h, w = shape
    if img.shape[0] < h or img.shape[1] < w:
        img = np.pad(img, ((0, h - img.shape[0]), (0, w - img.shape[1]), (0, 0)), mode="edge")
    return img


def random_texture(rng: np.random.Generator, split: str, shape: Tuple[int, int],
                   photo_prob: float = 0.5) -> Tuple[np.ndarray, str]:
    """A photo crop or a noise texture of this split; returns (image (h, w, 3), id)."""
    if rng.random() < photo_prob:
        name = str(rng.choice(photo_names(split)))
        return photo_crop(name, rng, shape, tint=True), f"photo:{name}"
    seed = texture_seed(rng, split)
    return noise_texture(seed, shape), f"noise:{seed}"
