"""A whole synthetic scene: generation from (config, seed) and conversion to an omnigame Video.

Rendering order: recipes are drawn first (all randomness), then each object's true layer (object
over its effects) is rendered on the canvas, quantised to 8 bits, and the frame is composited from
those 8-bit layers over the 8-bit plate, so layers and frames agree to within rounding.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..data.background import median_background
from ..evaluation.metrics import visible_footprint
from ..io.layers import composite_layers
from ..io.video import Video

from .backgrounds import sample_plate
from .camera import Canvas, frame_matrices, identity_matrices, make_canvas, sample_states, stabilising_maps
from .compositing import to_uint8, to_uint8_rgba
from .config import SceneConfig, as_scene_config, background_weights
from .render import render_object, sample_recipe
from .warp import affine_coords, affine_sample, compose_affine, inside

log = logging.getLogger(__name__)


@dataclass
class View:
    """One viewpoint of the scene. Shapes: frames (N, H, W, 3) uint8; masks (L, N, H, W) bool
    object only; layers (L, N, H, W, 4) uint8 true RGBA with effects; effect_masks (L, N, H, W)
    uint8 0/255 object+effect mask (where the true layer visibly changes the plate); background (N, H, W, 3) uint8 clean plate;
    object_alpha (L, N, H, W) uint8 alpha of the object alone (no effects)."""

    frames: np.ndarray
    masks: np.ndarray
    layers: np.ndarray
    effect_masks: np.ndarray
    background: np.ndarray
    object_alpha: np.ndarray

    def effect_alpha(self) -> np.ndarray:
        """(L, N, H, W) uint8 alpha the effects add to the layer (layer alpha minus object alpha)."""
        return np.clip(self.layers[..., 3].astype(np.int16) - self.object_alpha, 0, 255).astype(np.uint8)


@dataclass
class Scene:
    """A generated scene. `camera` is what the moving camera saw (frames, masks, true layers and
    clean background per frame); `stable` is the same scene in the reference view (what perfect
    stabilisation gives; identical to `camera` without camera motion), whose static clean plate is
    `plate` (H, W, 3). `valid` (N, H, W) marks stable-view pixels the camera saw (None: all).
    `transforms` (N, 2, 3) map camera-frame pixels to canvas pixels; `ref_transform` (2, 3) maps
    reference-view pixels to canvas pixels. `order` (N, L) lists objects back to front."""

    config: SceneConfig
    seed: int
    camera: View
    stable: View
    plate: np.ndarray
    order: np.ndarray
    valid: Optional[np.ndarray]
    transforms: np.ndarray
    ref_transform: np.ndarray
    params: dict

    # Convenience names for the camera view (the rendered video).
    @property
    def frames(self) -> np.ndarray:
        return self.camera.frames

    @property
    def masks(self) -> np.ndarray:
        return self.camera.masks

    @property
    def layers(self) -> np.ndarray:
        return self.camera.layers

    @property
    def background(self) -> np.ndarray:
        """(N, H, W, 3) true clean background behind each camera frame."""
        return self.camera.background

    @property
    def effect_masks(self) -> np.ndarray:
        return self.camera.effect_masks

    @property
    def num_objects(self) -> int:
        return self.camera.masks.shape[0]

    def to_video(self) -> Video:
        """The omnigame Video of the stable view, background per config ('true' or 'estimate')."""
        return scene_video(self)


def generate_scene(config, seed: int) -> Scene:
    """Render the scene numbered `seed`; the same (config, seed) always gives the same arrays."""
    cfg = as_scene_config(config)
    rng = np.random.default_rng([int(seed), 1 if cfg.split == "test" else 0])
    canvas = make_canvas(rng, cfg)
    horizon = canvas.view_y + rng.uniform(*cfg.horizon) * cfg.height
    plate = sample_plate(rng, cfg.background_kinds, background_weights(cfg), cfg.split,
                         (canvas.height, canvas.width), horizon)
    count = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    recipes = [sample_recipe(rng, cfg, canvas, plate) for _ in range(count)]
    states = sample_states(rng, cfg) if cfg.camera_motion else None
    stack, order = _render_canvas(recipes, cfg, canvas, plate)
    layers, alphas = stack[:, :, :4], stack[:, :, 4]
    plate_u8 = to_uint8(plate.image)
    if states is None:
        mats = identity_matrices(cfg.num_frames)
        camera = _make_view(layers, alphas, np.repeat(plate_u8[None], cfg.num_frames, 0), order, cfg)
        stable, valid = camera, None
    else:
        mats = frame_matrices(states, canvas, (cfg.height, cfg.width), cfg.num_frames)
        camera = _camera_view(stack, plate_u8, mats, order, cfg)
        stable, valid = _stable_view(rng, stack, plate_u8, mats, canvas, order, cfg)
    params = _params(cfg, seed, canvas, plate, recipes, states)
    return Scene(cfg, int(seed), camera, stable, stable.background[0], order, valid, mats,
                 canvas.ref_matrix(), params)


def _render_canvas(recipes, cfg, canvas: Canvas, plate):
    """All objects on the canvas: (L, N, 5, Hc, Wc) float32 (channels 0-3 the premultiplied true
    layer, 4 the object's own alpha) and the per-frame back-to-front order (N, L)."""
    count = len(recipes)
    stack = np.empty((count, cfg.num_frames, 5, canvas.height, canvas.width), np.float32)
    depth = np.empty((cfg.num_frames, count))  # feet rows: lower in the frame is nearer
    for i, recipe in enumerate(recipes):
        stack[i, :, :4], stack[i, :, 4], depth[:, i] = render_object(recipe, cfg, canvas, plate)
    return stack, np.argsort(depth, axis=1, kind="stable").astype(np.int64)


def _make_view(layers, alphas, background, order, cfg) -> View:
    """Quantise float layers (L, N, 4, H, W) and composite frames over background (N, H, W, 3)."""
    layers_u8 = to_uint8_rgba(layers)
    frames = composite_layers(layers_u8, order, background)
    masks = alphas > cfg.mask_threshold
    if cfg.visible_masks:
        masks = _visible_only(masks, order)
    return View(frames, masks, layers_u8, visible_footprint(layers_u8, background), background,
                to_uint8(alphas))


def _visible_only(masks: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Masks (L, N, H, W) minus the parts covered by objects in front (per-frame order (N, L))."""
    out = masks.copy()
    for t in range(order.shape[0]):
        covered = np.zeros(masks.shape[2:], bool)
        for obj in order[t, ::-1]:  # front to back
            out[obj, t] &= ~covered
            covered |= masks[obj, t]
    return out


def _camera_view(stack, plate_u8, mats, order, cfg) -> View:
    """Warp canvas layers + object alphas (L, N, 5, Hc, Wc) and the plate into each camera frame
    (mats (N, 2, 3))."""
    size = (cfg.height, cfg.width)
    warped = np.stack([affine_sample(layer, mats, size) for layer in stack])  # (L, N, 5, H, W)
    plate = np.ascontiguousarray(plate_u8.transpose(2, 0, 1)[None], dtype=np.float32)
    background = np.round(affine_sample(plate, mats, size)).clip(0, 255).astype(np.uint8)
    return _make_view(warped[:, :, :4], warped[:, :, 4], background.transpose(0, 2, 3, 1), order, cfg)


def _stable_view(rng, stack, plate_u8, mats, canvas: Canvas, order, cfg):
    """The reference view of a moving-camera scene and its valid pixels (N, H, W)."""
    layers, alphas = stack[:, :, :4], stack[:, :, 4]
    jitter = _stabilise_error(rng, cfg)
    to_frame = stabilising_maps(mats, canvas)
    if jitter is None:
        stable = _make_view(*_crop(canvas, cfg, layers, alphas, plate_u8), order, cfg)
    else:
        view = compose_affine(canvas.ref_matrix()[None], jitter)
        stable = _camera_view(stack, plate_u8, view, order, cfg)
        # the true background stays the static plate: the misalignment is the error
        stable.background[:] = _crop(canvas, cfg, layers[:, :1], alphas[:, :1], plate_u8)[2]
        to_frame = compose_affine(to_frame, jitter)
    coords = affine_coords(to_frame, (cfg.height, cfg.width))
    return stable, inside(coords, (cfg.height, cfg.width))


def _stabilise_error(rng, cfg):
    """(N, 2, 3) small random rigid maps (stable pixel -> misregistered pixel), or None."""
    e = cfg.stabilise_error_px
    if e <= 0:
        return None
    n, h, w = cfg.num_frames, cfg.height, cfg.width
    shift = rng.normal(0.0, e, (n, 2))
    angle = rng.normal(0.0, e / (0.5 * w), n)
    cos, sin = np.cos(angle), np.sin(angle)
    lin = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], 1)
    centre = np.array([(w - 1) / 2, (h - 1) / 2])
    t = centre + shift - lin @ centre
    return np.concatenate([lin, t[..., None]], -1).astype(np.float32)


def _crop(canvas: Canvas, cfg, layers, alphas, plate_u8):
    """The reference view cut out of canvas arrays: layers, alphas and a static background."""
    ys = slice(canvas.view_y, canvas.view_y + cfg.height)
    xs = slice(canvas.view_x, canvas.view_x + cfg.width)
    background = np.repeat(plate_u8[None, ys, xs], cfg.num_frames, 0)
    return layers[..., ys, xs], alphas[..., ys, xs], background


def _params(cfg, seed, canvas, plate, recipes, states) -> dict:
    """JSON-friendly record of what was drawn, for manifest.json."""
    return {"seed": int(seed), "split": cfg.split, "height": cfg.height, "width": cfg.width,
            "num_frames": cfg.num_frames, "background_kind": plate.kind,
            "background_ids": list(plate.ids), "horizon_row": round(float(plate.horizon - canvas.view_y), 2),
            "objects": [r.manifest() for r in recipes],
            "texture_ids": [r.skin_id for r in recipes],
            "canvas": {"height": canvas.height, "width": canvas.width,
                       "view_x": canvas.view_x, "view_y": canvas.view_y},
            "camera": None if states is None else {k: np.round(v, 4).tolist() for k, v in states.items()}}


def scene_video(scene: Scene) -> Video:
    """Stable-view Video: frames blank outside `valid`, background true plate or estimate."""
    cfg, view, valid = scene.config, scene.stable, scene.valid
    frames, masks = view.frames, view.masks
    if valid is not None:
        frames = frames * valid[..., None]
        masks = masks & valid[None]
    if cfg.background_mode == "true":
        background = scene.plate
    else:
        background = median_background(frames, masks, valid)[0]
    order, obj_valid = scene.order, np.ones(len(masks), bool)
    pad = (cfg.pad_objects_to or len(masks)) - len(masks)
    if pad > 0:
        masks = np.concatenate([masks, np.zeros((pad,) + masks.shape[1:], bool)])
        extra = np.broadcast_to(np.arange(len(obj_valid), len(masks)), (len(order), pad))
        order = np.concatenate([extra, order], axis=1)  # empty slots at the back
        obj_valid = np.concatenate([obj_valid, np.zeros(pad, bool)])
    return Video(frames, masks, order, background, valid, fps=cfg.fps, object_valid=obj_valid,
                 source=f"synthetic:{cfg.split}:{scene.seed}")
