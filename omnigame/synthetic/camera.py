"""Camera motion (seed 000 section B): a view gliding over a larger canvas between two affine states.

The scene lives on a canvas that holds the reference view (the frame a static camera would see,
where the stabilised video lives) padded asymmetrically by U(pad) of the width on each side.
Per frame, `A_t` (2, 3) maps an output pixel to the canvas; the reference view is the pure
translation `A_ref`. Stabilising frame t means reading it at A_t^-1 A_ref p for each pixel p.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import numpy as np

from .warp import compose_affine, invert_affine


@dataclass
class Canvas:
    """Canvas size and where the reference view sits in it (all pixels)."""

    height: int
    width: int
    view_x: int  # column of the reference view's left edge
    view_y: int

    def ref_matrix(self) -> np.ndarray:
        """(2, 3) output pixel -> canvas pixel for the reference (static) view."""
        return np.array([[1, 0, self.view_x], [0, 1, self.view_y]], np.float32)


def make_canvas(rng: np.random.Generator, cfg) -> Canvas:
    """The canvas for a scene; just the frame when camera motion is off."""
    h, w = cfg.height, cfg.width
    if not cfg.camera_motion:
        return Canvas(h, w, 0, 0)
    pad_l, pad_r = rng.uniform(*cfg.camera_pad, size=2) * w
    # margins cover the corners that rotation, zoom-out and shear swing outside the pads
    rot, shear = np.radians(cfg.camera_rotate_deg), np.radians(cfg.camera_shear_deg)
    zoom = max(cfg.camera_scale) - 1.0
    extra_x = (np.sin(rot) + np.tan(shear)) * h / 2 + zoom * w / 2 + 2
    extra_y = np.sin(rot) * w / 2 + zoom * h / 2 + 2
    view_x = int(np.ceil(pad_l + extra_x))
    view_y = int(np.ceil(extra_y))
    width = view_x + w + int(np.ceil(pad_r + extra_x))
    return Canvas(h + 2 * view_y, width, view_x, view_y)


def sample_states(rng: np.random.Generator, cfg) -> Dict[str, np.ndarray]:
    """Two camera states A, B: translations of opposite sign, subtle rotation/scale/shear.

    Returns arrays of shape (2,) for tx (pixels), rotate_deg, scale, shear_deg."""
    sign = rng.choice([-1.0, 1.0])
    tx = np.array([sign, -sign]) * rng.uniform(*cfg.camera_translate, size=2) * cfg.width
    return {"tx": tx,
            "rotate_deg": rng.uniform(-cfg.camera_rotate_deg, cfg.camera_rotate_deg, 2),
            "scale": rng.uniform(*cfg.camera_scale, size=2),
            "shear_deg": rng.uniform(-cfg.camera_shear_deg, cfg.camera_shear_deg, 2)}


def ease(s: np.ndarray) -> np.ndarray:
    """Smoothstep easing: zero velocity at both ends, like a hand-held pan that starts and stops."""
    return s * s * (3.0 - 2.0 * s)


def frame_matrices(states: Dict[str, np.ndarray], canvas: Canvas, size: tuple,
                   num_frames: int) -> np.ndarray:
    """(N, 2, 3) output pixel -> canvas pixel for each frame, easing from state A to state B."""
    s = ease(np.linspace(0.0, 1.0, num_frames))[:, None]
    p = {k: v[0] + (v[1] - v[0]) * s[:, 0] for k, v in states.items()}
    rot, shear = np.radians(p["rotate_deg"]), np.radians(p["shear_deg"])
    cos, sin, sh = np.cos(rot), np.sin(rot), np.tan(shear)
    lin = np.stack([np.stack([cos, cos * sh - sin], -1), np.stack([sin, sin * sh + cos], -1)], 1)
    lin = lin * p["scale"][:, None, None]
    h, w = size
    centre = np.array([(w - 1) / 2, (h - 1) / 2])
    target = centre + np.array([canvas.view_x, canvas.view_y])
    shift = target + np.stack([p["tx"], np.zeros(num_frames)], -1) - lin @ centre
    return np.concatenate([lin, shift[..., None]], axis=-1).astype(np.float32)


def stabilising_maps(frame_mats: np.ndarray, canvas: Canvas) -> np.ndarray:
    """(N, 2, 3) reference-view pixel -> pixel of camera frame t (A_t^-1 A_ref)."""
    return compose_affine(invert_affine(frame_mats), canvas.ref_matrix()[None])


def identity_matrices(num_frames: int) -> np.ndarray:
    """(N, 2, 3) identity transforms, for scenes without camera motion."""
    return np.repeat(np.eye(2, 3, dtype=np.float32)[None], num_frames, axis=0)
