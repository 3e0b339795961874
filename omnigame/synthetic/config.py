"""Every parameter of a synthetic scene, as a Hydra structured config.

Ranges are `[low, high]` lists (Hydra cannot type tuples); lengths are fractions of the frame
height H or width W so that one config describes the same scenes at any resolution.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, List, Optional

from omegaconf import DictConfig, OmegaConf

BACKGROUND_KINDS = ("ground", "water", "photo", "texture")
EFFECT_KINDS = ("shadow", "reflection", "trail")
SHAPE_KINDS = ("blob", "walker")


def _range(low: float, high: float):
    return field(default_factory=lambda: [low, high])


@dataclass
class SceneConfig:
    """Parameters of one family of synthetic scenes (see README of experiments/synthetic_scenes)."""

    height: int = 128
    width: int = 224
    num_frames: int = 24
    fps: float = 24.0
    min_objects: int = 1
    max_objects: int = 4
    # Pad L to this many object slots (empty masks, object_valid False) so batches stack.
    pad_objects_to: Optional[int] = None
    split: str = "train"  # 'train' | 'test': disjoint photos and texture seeds
    background_mode: str = "true"  # 'true' clean plate | 'estimate' median of unmasked pixels
    background_kinds: List[str] = field(default_factory=lambda: list(BACKGROUND_KINDS))
    # Sampling weights, one per entry of background_kinds; null: 0.5/0.25/0.15/0.1 for the
    # four default kinds, equal weights for any other choice of kinds.
    background_weights: Optional[List[float]] = None
    horizon: List[float] = _range(0.25, 0.5)  # ground/water line, fraction of H from the top
    # Objects
    object_shapes: List[str] = field(default_factory=lambda: list(SHAPE_KINDS))
    object_height: List[float] = _range(0.3, 0.6)  # fraction of H, at the front of the ground
    object_speed: List[float] = _range(0.005, 0.03)  # fraction of W per frame
    edge_softness: float = 1.0  # width of the soft alpha edge, in output pixels
    visible_masks: bool = False  # True: input masks exclude parts hidden by objects in front
    mask_threshold: float = 0.5  # input mask = object alpha > threshold
    # Effects
    effects: List[str] = field(default_factory=lambda: list(EFFECT_KINDS))
    no_effect_prob: float = 0.1  # an object with no effect at all
    trail_prob: float = 0.25
    shadow_compress: List[float] = _range(0.1, 0.3)  # shadow height / object height
    shadow_shear_deg: List[float] = _range(30.0, 60.0)
    shadow_opacity: List[float] = _range(0.3, 0.7)
    shadow_blur: List[float] = _range(0.004, 0.016)  # gaussian sigma, fraction of H
    shadow_front_prob: float = 0.0  # shadow cast towards the camera (below the feet)
    reflection_opacity: List[float] = _range(0.3, 0.7)
    reflection_ripple: List[float] = _range(0.0, 0.012)  # amplitude, fraction of W
    reflection_falloff: List[float] = _range(0.6, 1.5)  # fade length / object height
    trail_opacity: List[float] = _range(0.2, 0.5)
    trail_length: int = 8  # frames a puff of dust lives
    # Camera motion (seed 000 section B)
    camera_motion: bool = False
    camera_pad: List[float] = _range(0.3, 0.5)  # canvas padding each side, fraction of W
    camera_translate: List[float] = _range(0.15, 0.3)  # |tx| of each end state, fraction of W
    camera_rotate_deg: float = 5.0
    camera_scale: List[float] = _range(0.95, 1.05)
    camera_shear_deg: float = 3.0
    # Residual error of a real stabiliser: the stable view of a moving-camera scene is rendered
    # through a per-frame random shift of about this many pixels (and rotation of as many
    # pixels at the frame's edge), so the background no longer lines up exactly.
    stabilise_error_px: float = 0.0


def as_scene_config(config: Any) -> SceneConfig:
    """A SceneConfig from a SceneConfig, a DictConfig (Hydra) or a plain dict; checks values."""
    if isinstance(config, DictConfig):
        config = OmegaConf.to_object(config)
    if isinstance(config, dict):
        names = {f.name for f in fields(SceneConfig)}
        unknown = set(config) - names
        if unknown:
            raise ValueError(f"unknown SceneConfig fields {sorted(unknown)}; known: {sorted(names)}")
        config = SceneConfig(**config)
    check_config(config)
    return config


def check_config(c: SceneConfig) -> None:
    """Raise ValueError naming the field when a value cannot describe a scene."""
    if not 1 <= c.min_objects <= c.max_objects:
        raise ValueError(f"need 1 <= min_objects <= max_objects, got {c.min_objects}, {c.max_objects}")
    if c.pad_objects_to is not None and c.pad_objects_to < c.max_objects:
        raise ValueError(f"pad_objects_to={c.pad_objects_to} is below max_objects={c.max_objects}")
    if c.split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {c.split!r}")
    if c.background_mode not in ("true", "estimate"):
        raise ValueError(f"background_mode must be 'true' or 'estimate', got {c.background_mode!r}")
    _check_subset("background_kinds", c.background_kinds, BACKGROUND_KINDS)
    _check_subset("effects", c.effects, EFFECT_KINDS)
    _check_subset("object_shapes", c.object_shapes, SHAPE_KINDS)
    if c.background_weights is not None and len(c.background_weights) != len(c.background_kinds):
        raise ValueError("background_weights needs one weight per entry of background_kinds")
    if c.height < 16 or c.width < 16 or c.num_frames < 2:
        raise ValueError(f"scene too small: {c.height}x{c.width}, {c.num_frames} frames")


def background_weights(c: SceneConfig) -> List[float]:
    """The sampling weight of each entry of c.background_kinds."""
    if c.background_weights is not None:
        return list(c.background_weights)
    if list(c.background_kinds) == list(BACKGROUND_KINDS):
        return [0.5, 0.25, 0.15, 0.1]
    return [1.0] * len(c.background_kinds)


def _check_subset(name: str, values: List[str], allowed) -> None:
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise ValueError(f"{name} must be a non-empty subset of {list(allowed)}, got {values}")

