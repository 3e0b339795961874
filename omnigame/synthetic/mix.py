"""The mix of scene families that pretraining streams: scenes that look like a user's input.

A user's video reaches the model with a *median-estimated* background (never the clean plate),
often stabilised from a moving camera with some residual misregistration, with long shadows and
with reflections. Pretraining on level-camera scenes over their true plate taught the previous
model none of that. Each family below is one SceneConfig; `SceneDataset(configs, weights=...)`
draws a family per scene.
"""
from __future__ import annotations

from dataclasses import replace
from typing import List, Sequence, Tuple

from .config import SceneConfig

# seed 001 section 5 ("v2"): longer shadows, lower camera, shadows also towards the camera
LONG_SHADOWS = dict(shadow_compress=[0.35, 0.9], shadow_shear_deg=[10.0, 50.0],
                    shadow_opacity=[0.4, 0.75], shadow_front_prob=0.4, horizon=[0.3, 0.55],
                    object_height=[0.35, 0.65])


def user_like_families(size: Sequence[int], max_objects: int = 3, num_frames: int = 24,
                       long_shadow_prob: float = 0.5, camera_motion_prob: float = 0.5,
                       stabilise_error_px: float = 1.0, background_mode: str = "estimate",
                       background_weights: Sequence[float] = (0.4, 0.35, 0.15, 0.1),
                       ) -> Tuple[List[SceneConfig], List[float]]:
    """Scene families (short/long shadows x level/moving camera) and their sampling weights."""
    base = SceneConfig(height=int(size[0]), width=int(size[1]), max_objects=max_objects,
                       num_frames=num_frames, background_mode=background_mode,
                       background_weights=list(background_weights))
    configs, weights = [], []
    for long_p, shadows in ((1 - long_shadow_prob, {}), (long_shadow_prob, LONG_SHADOWS)):
        for cam_p, camera in ((1 - camera_motion_prob, {}),
                              (camera_motion_prob, dict(camera_motion=True,
                                                        stabilise_error_px=stabilise_error_px))):
            if long_p * cam_p > 0:
                configs.append(replace(base, **shadows, **camera))
                weights.append(long_p * cam_p)
    return configs, weights
