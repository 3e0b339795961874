"""Textured, deforming object sprites: Fourier blobs and stick-limbed walkers.

A sprite is drawn per frame on its own S x S grid in local coordinates u, v in [-1, 1] (v = +1
at the feet), as premultiplied RGBA; `motion.py` then places it in the scene. Drawing on a small
grid batched over frames keeps the cost independent of the frame size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

from .textures import random_texture


@dataclass
class Shape:
    """Silhouette parameters of one object; `kind` is 'blob' or 'walker'."""

    kind: str
    aspect: float  # width / height of the sprite box
    params: Dict[str, np.ndarray] = field(default_factory=dict)


def sample_shape(rng: np.random.Generator, kinds: List[str]) -> Shape:
    """A random blob (wobbling Fourier polygon) or walker (body, head, swinging limbs)."""
    kind = str(rng.choice(kinds))
    if kind == "blob":
        k = np.arange(2, 7)
        params = {"amp": rng.uniform(0.0, 0.25, 5) / k ** 0.7, "phase": rng.uniform(0, 2 * np.pi, 5),
                  "freq": rng.uniform(0.05, 0.3, 5) * rng.choice([-1, 1], 5)}
        return Shape(kind, float(rng.uniform(0.6, 1.6)), params)
    params = {"swing": np.array(rng.uniform(0.25, 0.6)), "freq": np.array(rng.uniform(0.25, 0.6)),
              "phase": np.array(rng.uniform(0, 2 * np.pi)), "body": rng.uniform(0.22, 0.4, 2),
              "limb": np.array(rng.uniform(0.06, 0.11)), "arms": np.array(rng.random() < 0.7)}
    return Shape(kind, float(rng.uniform(0.7, 1.1)), params)


def local_grid(size: int) -> np.ndarray:
    """(2, S, S) local coordinates u (right), v (down), both in [-1, 1]."""
    t = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    v, u = np.meshgrid(t, t, indexing="ij")
    return np.stack([u, v])


def blob_distance(shape: Shape, uv: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(N, S, S) approximate signed distance to a wobbling Fourier-perturbed circle."""
    p = shape.params
    u, v = uv
    theta, radius = np.arctan2(v, u), np.hypot(u, v)
    k = np.arange(2, 7, dtype=np.float32)[:, None, None, None]
    angle = k * theta + p["phase"][:, None, None, None] + p["freq"][:, None, None, None] * times[None, :, None, None]
    bumps = (p["amp"][:, None, None, None] * np.cos(angle)).sum(0)
    # the circle's radius leaves room for the bumps so the blob stays inside its box
    r = 0.95 * (1.0 + bumps) / (1.0 + p["amp"].sum())
    return radius[None] - r


def _segment_distance(u, v, a, b):
    """Distance from points (u, v) (S, S) to segments a -> b given as (N, 2) arrays."""
    ab = b - a
    pu, pv = u[None] - a[:, 0, None, None], v[None] - a[:, 1, None, None]
    t = np.clip((pu * ab[:, 0, None, None] + pv * ab[:, 1, None, None])
                / np.maximum((ab ** 2).sum(1), 1e-6)[:, None, None], 0.0, 1.0)
    return np.hypot(pu - t * ab[:, 0, None, None], pv - t * ab[:, 1, None, None])


def walker_distance(shape: Shape, uv: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(N, S, S) signed distance to a body ellipse, a head and limbs that swing with time."""
    p = shape.params
    u, v = uv
    bw, bh = p["body"]
    body = (np.hypot(u / bw, (v + 0.15) / bh) - 1.0) * min(bw, bh)
    head = np.hypot(u, v + 0.3 + bh) - 0.17  # head sits just above the body
    dist = np.minimum(body, head)[None].repeat(len(times), 0)
    swing = p["swing"] * np.sin(p["freq"] * times + p["phase"])
    hip, shoulder = -0.15 + 0.7 * bh, -0.15 - 0.5 * bh
    leg = 0.93 - hip - p["limb"]  # feet touch v = 0.93, inside the sprite box
    limbs = [(0.4 * bw, hip, leg, swing), (-0.4 * bw, hip, leg, -swing)]
    if p["arms"]:
        limbs += [(0.9 * bw, shoulder, 0.5, -swing), (-0.9 * bw, shoulder, 0.5, swing)]
    for x0, y0, length, angle in limbs:
        a = np.stack([np.full_like(angle, x0), np.full_like(angle, y0)], 1)
        b = a + length * np.stack([np.sin(angle), np.cos(angle)], 1)
        dist = np.minimum(dist, _segment_distance(u, v, a, b) - p["limb"])
    return dist


def render_sprite(shape: Shape, skin: np.ndarray, times: np.ndarray, edge: float) -> np.ndarray:
    """(N, 4, S, S) premultiplied RGBA sprite per time; skin (S, S, 3) float in [0, 1].

    edge: soft-edge width in local units (the alpha ramps from 1 to 0 over this distance).
    """
    size = skin.shape[0]
    uv = local_grid(size)
    times = np.asarray(times, np.float32)
    dist = blob_distance(shape, uv, times) if shape.kind == "blob" else walker_distance(shape, uv, times)
    alpha = np.clip(0.5 - dist / edge, 0.0, 1.0)
    # light from the upper left gives the flat texture some volume
    shade = np.clip(1.0 - 0.25 * (uv[0] + uv[1]) - 0.2 * np.hypot(*uv) ** 2, 0.35, 1.2)
    colour = np.clip(skin.transpose(2, 0, 1) * shade, 0.0, 1.0)
    return np.concatenate([colour[None] * alpha[:, None], alpha[:, None]], axis=1).astype(np.float32)


def sample_skin(rng: np.random.Generator, split: str, size: int):
    """(S, S, 3) texture for an object and its id (photo or noise of this split)."""
    return random_texture(rng, split, (size, size), photo_prob=0.5)
