"""Compose one dev-benchmark scene: real sprites moved over a real plate, with synthetic effects.

Each object's TRUE layer is the object over its own effect, in premultiplied RGBA: a shadow is
black with alpha (seed 000 section B: vertical compression, shear, opacity, blur, at the feet; or
the longer "v2" shadows), a reflection is the mirrored object below the waterline, dimmed, faded
with distance and rippled. The effects are rendered by the repo's own `omnigame.synthetic.effects`
functions, so real and synthetic scenes share one definition of a shadow and a reflection.
Frames are composited from the 8-bit layers exactly as `omnigame.synthetic.scene` does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
from scipy import ndimage

from realclips import Sprite, clip_plate, crop_plate, cut_sprite, live_frames
from omnigame.io.layers import composite_layers as composite
from omnigame.synthetic.compositing import over, to_uint8, to_uint8_rgba
from omnigame.synthetic.effects import cast_shadow, feet_rows, reflect
from omnigame.synthetic.warp import affine_sample

# Effect styles -> parameter ranges. "shadow": seed 000 section B; "long_shadow": the v2 recipe
# (omnigame/conf/scenes/v2.yaml), sometimes thrown towards the camera.
SHADOW_STYLES = {"shadow": dict(compress=(0.1, 0.3), shear=(30.0, 60.0), opacity=(0.3, 0.7), front=0.0),
                 "long_shadow": dict(compress=(0.35, 0.9), shear=(10.0, 50.0), opacity=(0.4, 0.75),
                                     front=0.4)}


@dataclass
class Backdrop:
    """A plate cut from a clip's clean plate, with where things may stand on it (output rows).

    ground: feet rows (lo, hi) for objects on land; horizon: first row shadows may fall on.
    water: feet rows for objects in the water; waterline / water_end: rows where reflections
    may appear (water_end None = to the bottom of the frame)."""

    clip: str
    box: tuple  # (y0, x0, h, w) in the clip's full-resolution pixels
    flip: bool = False
    ground: Optional[tuple] = None
    horizon: float = 0.0
    water: Optional[tuple] = None
    waterline: float = 0.0
    water_end: Optional[float] = None
    # live: the background is the clip's own frames start..start+n-1 inside box (waves move,
    # the camera shakes a little), not its still plate; the box must hold none of the clip's
    # objects in those frames
    live: bool = False
    start: int = 0


@dataclass
class ObjectSpec:
    sprite: str  # key of realclips.SPRITES
    effect: str  # shadow | long_shadow | reflection
    height: tuple = (0.3, 0.5)  # body height range, fraction of the frame height


@dataclass
class SceneSpec:
    name: str
    backdrop: Backdrop
    objects: List[ObjectSpec] = field(default_factory=list)


def effect_kind(style: str) -> str:
    """Kind used to split the report: both shadow styles are 'shadow'."""
    return "reflection" if style == "reflection" else "shadow"


def place(sprite: Sprite, rng, spec: ObjectSpec, band: tuple, size, n: int):
    """Affine maps (n, 2, 3) output pixel -> sprite pixel: the sprite's feet follow a straight
    path inside the feet band, at a scale that gives the drawn body height; sometimes mirrored."""
    h, w = size
    scale = rng.uniform(*spec.height) * h / sprite.body_height
    speed = rng.uniform(0.004, 0.02) * w * rng.choice([-1.0, 1.0])
    x0 = rng.uniform(0.2, 0.8) * w - speed * n / 2
    y0, vy = rng.uniform(*band), rng.uniform(-0.25, 0.25)
    t = np.arange(n, dtype=np.float32)
    feet = np.stack([x0 + speed * t, np.clip(y0 + vy * t, *band)], axis=1)
    mirror = -1.0 if rng.random() < 0.5 else 1.0
    mats = np.zeros((n, 2, 3), np.float32)
    mats[:, 0, 0], mats[:, 1, 1] = mirror / scale, 1.0 / scale
    mats[:, 0, 2] = sprite.feet[:, 0] - mirror * feet[:, 0] / scale
    mats[:, 1, 2] = sprite.feet[:, 1] - feet[:, 1] / scale
    return mats, scale, feet


def render_object(spec: ObjectSpec, bd: Backdrop, rng, size, n: int):
    """(layer (n, 4, H, W) premultiplied, object alpha (n, H, W), feet rows (n,), params)."""
    sprite = cut_sprite(spec.sprite, int(rng.integers(0, 60)), n)
    band = bd.water if spec.effect == "reflection" else bd.ground
    mats, scale, feet = place(sprite, rng, spec, band, size, n)
    # prefilter before shrinking so fine texture does not alias
    sigma = max(0.0, 0.45 * (1.0 / scale - 1.0))
    src = ndimage.gaussian_filter(sprite.rgba, (0, 0, sigma, sigma)) if sigma > 0 else sprite.rgba
    obj = affine_sample(src, mats, size)
    alpha = obj[:, 3]
    feet_y = feet_rows(alpha, feet[:, 1])
    params = {"sprite": spec.sprite, "style": spec.effect, "scale": round(float(scale), 4),
              "body_height_px": round(float(scale * sprite.body_height), 1)}
    if spec.effect == "reflection":
        p = {"opacity": rng.uniform(0.3, 0.7), "ripple": rng.uniform(0.002, 0.012) * size[1],
             "falloff": rng.uniform(0.6, 1.5), "tint": np.array([0.1, 0.25, 0.35]) * rng.uniform(0.7, 1.3, 3)}
        heights = np.full(n, scale * sprite.body_height, np.float32)
        effect = reflect(obj, feet_y, heights, bd.waterline, p) * _water_rows(bd, size)
    else:
        r = SHADOW_STYLES[spec.effect]
        p = {"compress": rng.uniform(*r["compress"]),
             "shear_deg": rng.uniform(*r["shear"]) * rng.choice([-1.0, 1.0]),
             "front": bool(rng.random() < r["front"]), "opacity": rng.uniform(*r["opacity"]),
             "blur": rng.uniform(0.004, 0.016) * size[0]}
        effect = cast_shadow(alpha, feet_y, bd.horizon, p)
    params["effects"] = {effect_kind(spec.effect): {k: np.round(np.asarray(v, float), 4).tolist()
                                                   if not isinstance(v, bool) else v
                                                   for k, v in p.items()}}
    return over(obj, effect), alpha, feet[:, 1], params


def _water_rows(bd: Backdrop, size) -> np.ndarray:
    """(1, 1, H, 1) weight: 1 on water rows, fading to 0 over 4 rows past water_end (no water)."""
    rows = np.arange(size[0], dtype=np.float32)
    end = size[0] + 10 if bd.water_end is None else bd.water_end
    return np.clip((end - rows) / 4.0, 0.0, 1.0)[None, None, :, None]


def render_scene(spec: SceneSpec, seed: int, size=(128, 224), n: int = 24) -> dict:
    """All arrays of one scene (see write.py for how they become a omnigame.synthetic.Scene)."""
    rng = np.random.default_rng([seed, 7])
    bd = spec.backdrop
    if bd.live:
        background = live_frames(bd.clip, bd.box, size, bd.flip, bd.start, n)
        plate = np.median(background, 0).round().astype(np.uint8)  # the best still guess
    else:
        plate = crop_plate(clip_plate(bd.clip), bd.box, size, bd.flip)
        background = np.repeat(plate[None], n, 0)
    layers, alphas, depth, params = [], [], [], []
    for obj in spec.objects:
        layer, alpha, feet_y, p = render_object(obj, bd, rng, size, n)
        layers.append(layer), alphas.append(alpha), depth.append(feet_y), params.append(p)
    layers_u8 = to_uint8_rgba(np.stack(layers))  # (L, n, H, W, 4)
    order = np.argsort(np.stack(depth, 1), axis=1, kind="stable").astype(np.int64)  # lower = nearer
    frames = composite(layers_u8, order, background)
    alphas = np.stack(alphas)
    return {"frames": frames, "layers": layers_u8, "masks": alphas > 0.5, "order": order,
            "plate": plate, "background": background, "object_alpha": to_uint8(alphas),
            "objects": params}
