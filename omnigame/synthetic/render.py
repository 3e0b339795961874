"""One object's recipe (shape, skin, path, effects) and its true layer on the canvas.

The layer is the object over its own effects, premultiplied RGBA (N, 4, Hc, Wc): everything the
object changes in the frame, and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

from .backgrounds import Plate
from .camera import Canvas
from .compositing import over
from .effects import cast_shadow, dust_trail, feet_rows, reflect
from .motion import Path, object_height, placement, sample_path
from .objects import Shape, render_sprite, sample_shape, sample_skin
from .textures import texture_seed
from .warp import affine_sample


@dataclass
class ObjectRecipe:
    """Everything random about one object, drawn up front so rendering is a pure function."""

    shape: Shape
    skin: np.ndarray  # (S, S, 3)
    skin_id: str
    path: Path
    base_height: float  # pixels, at the front of the ground
    tilt: np.ndarray  # (3,) amplitude, frequency, phase of a gentle rocking
    effects: Dict[str, dict] = field(default_factory=dict)

    def manifest(self) -> dict:
        """JSON-friendly description for manifest.json."""
        effects = {k: {n: _plain(v) for n, v in p.items()} for k, p in self.effects.items()}
        return {"shape": self.shape.kind, "aspect": round(self.shape.aspect, 3),
                "texture": self.skin_id, "base_height_px": round(self.base_height, 2),
                "speed_px_per_frame": round(abs(self.path.vx), 3), "effects": effects}


def _plain(v):
    v = np.asarray(v)
    return v.round(4).tolist() if v.dtype.kind == "f" else v.tolist()


def sample_recipe(rng: np.random.Generator, cfg, canvas: Canvas, plate: Plate) -> ObjectRecipe:
    """Draw one object: its silhouette, skin, path on the ground and its effects."""
    h, w = cfg.height, cfg.width
    shape = sample_shape(rng, cfg.object_shapes)
    base = rng.uniform(*cfg.object_height) * h
    size = int(np.clip(round(base * 1.2), 24, 160))
    skin, skin_id = sample_skin(rng, cfg.split, size)
    view = (canvas.view_x, canvas.view_y, w, h)
    path = sample_path(rng, view, plate.horizon, tuple(cfg.object_speed), cfg.num_frames)
    wobble = 0.12 if shape.kind == "blob" else 0.04
    tilt = np.array([rng.uniform(0, wobble), rng.uniform(0.1, 0.4), rng.uniform(0, 6.3)])
    effects = sample_effects(rng, cfg, plate.kind)
    return ObjectRecipe(shape, skin, skin_id, path, float(base), tilt, effects)


def sample_effects(rng: np.random.Generator, cfg, plate_kind: str) -> Dict[str, dict]:
    """Which effects this object has and their parameters (ranges from the config)."""
    if rng.random() < cfg.no_effect_prob:
        return {}
    kinds = set(cfg.effects)
    effects = {}
    if "reflection" in kinds and plate_kind == "water":
        effects["reflection"] = {
            "opacity": rng.uniform(*cfg.reflection_opacity),
            "ripple": rng.uniform(*cfg.reflection_ripple) * cfg.width,
            "falloff": rng.uniform(*cfg.reflection_falloff),
            "tint": np.array([0.1, 0.25, 0.35]) * rng.uniform(0.7, 1.3, 3)}
    elif "shadow" in kinds:
        effects["shadow"] = {  # sign of shear_deg: which side the light comes from
            "compress": rng.uniform(*cfg.shadow_compress),
            "shear_deg": rng.uniform(*cfg.shadow_shear_deg) * rng.choice([-1.0, 1.0]),
            "front": bool(rng.random() < cfg.shadow_front_prob),
            "opacity": rng.uniform(*cfg.shadow_opacity),
            "blur": rng.uniform(*cfg.shadow_blur) * cfg.height}  # pixels
    if "trail" in kinds and (not effects or rng.random() < cfg.trail_prob):
        effects["trail"] = {"opacity": rng.uniform(*cfg.trail_opacity),
                            "colour": rng.uniform(0.55, 0.9) * rng.uniform(0.85, 1.0, 3),
                            "seed": texture_seed(rng, cfg.split), "length": int(cfg.trail_length)}
    return effects


def render_object(rec: ObjectRecipe, cfg, canvas: Canvas, plate: Plate):
    """Returns (layer (N, 4, Hc, Wc) premultiplied, object alpha (N, Hc, Wc), feet rows (N,))."""
    n, hc, wc = cfg.num_frames, canvas.height, canvas.width
    times = np.arange(n, dtype=np.float32)
    foot = rec.path.foot(times)
    bottom = canvas.view_y + cfg.height
    heights = object_height(foot[:, 1], plate.horizon, bottom, rec.base_height)
    size = rec.skin.shape[0]
    edge = max(2.0 / (size - 1), 2.0 * cfg.edge_softness / float(heights.mean()))
    sprite = render_sprite(rec.shape, rec.skin, times, edge)
    tilt = rec.tilt[0] * np.sin(rec.tilt[1] * times + rec.tilt[2])
    mats = placement(foot, heights, rec.shape.aspect, size, tilt)
    obj = affine_sample(sprite, mats, (hc, wc))
    alpha = obj[:, 3]
    feet_y = feet_rows(alpha, foot[:, 1])
    effect = _effects_layer(rec, obj, feet_y, heights, cfg, canvas, plate)
    layer = obj if effect is None else over(obj, effect)
    return layer, alpha, foot[:, 1]


def _effects_layer(rec, obj, feet_y, heights, cfg, canvas, plate):
    """Premultiplied RGBA of all this object's effects, front to back: dust over shadow."""
    parts: List[np.ndarray] = []
    p = rec.effects
    if "trail" in p:
        k = p["trail"]["length"]
        past = (np.arange(cfg.num_frames)[:, None] - np.arange(1, k + 1)[None]).reshape(-1)
        feet = rec.path.foot(past)
        hist_h = object_height(feet[:, 1], plate.horizon, canvas.view_y + cfg.height, rec.base_height)
        parts.append(dust_trail(feet.reshape(-1, k, 2), hist_h.reshape(-1, k),
                                (canvas.height, canvas.width), p["trail"]))
    if "shadow" in p:
        parts.append(cast_shadow(obj[:, 3], feet_y, plate.horizon, p["shadow"]))
    if "reflection" in p:
        parts.append(reflect(obj, feet_y, heights, plate.horizon, p["reflection"]))
    if not parts:
        return None
    out = parts[-1]
    for front in reversed(parts[:-1]):
        out = over(front, out)
    return out
