"""Small hand-made scenes that probe one capability each, with their truth.

disc_shadow_video: a textured disc crossing a photograph and casting a sheared, blurred shadow
outside its mask (the effects issue's probe). Whether a decomposition puts that shadow into the
disc's layer is read off `shadow` (where the true shadow alpha is large).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
from scipy import ndimage

from ..io.video import Video

from .effects import cast_shadow
from .textures import noise_texture, photo_crop, photo_names


def disc_shadow_video(seed: int = 0, num_frames: int = 24, size: Tuple[int, int] = (128, 224),
                      darkening: float = 0.55, with_background: bool = False
                      ) -> Tuple[Video, np.ndarray]:
    """(video, shadow (N, H, W) bool). No background is given, as from a user's footage,
    unless with_background (the true clean plate).

    The disc (radius H/7, a noise texture) moves left to right at mid-height; its shadow is its
    own alpha compressed to 50% towards the camera (below the disc), sheared by 45 degrees and
    blurred, `darkening` dark at most.
    """
    rng = np.random.default_rng(seed)
    H, W = size
    plate = photo_crop(photo_names("train")[seed % len(photo_names("train"))], rng, (H, W))
    skin = noise_texture(seed, (H, W))
    yy, xx = np.mgrid[:H, :W].astype(np.float32)
    radius, cy = H / 7.0, 0.45 * H
    xs = np.linspace(0.2 * W, 0.75 * W, num_frames)
    alpha = np.stack([np.clip(radius + 0.5 - np.hypot(xx - x, yy - cy), 0, 1) for x in xs])
    feet = np.full(num_frames, cy + radius, np.float32)
    p = {"compress": 0.5, "shear_deg": 45.0, "front": True, "opacity": darkening, "blur": 1.5}
    shade = cast_shadow(alpha.astype(np.float32), feet, horizon=0.0, p=p)[:, 3]
    shade *= 1.0 - alpha  # the disc covers its own shadow
    frames = plate[None] * (1.0 - shade[..., None])
    frames = frames * (1 - alpha[..., None]) + skin[None] * alpha[..., None]
    frames = np.round(frames * 255).clip(0, 255).astype(np.uint8)
    masks = (alpha > 0.5)[None]
    shadow = (shade > 0.5 * darkening) & ~ndimage.binary_dilation(masks[0], iterations=1)
    order = np.zeros((num_frames, 1), np.int64)
    plate_u8 = np.round(plate * 255).astype(np.uint8) if with_background else None
    video = Video(frames, masks, order, background=plate_u8, fps=12.0, source="disc_shadow_video")
    return video, shadow
