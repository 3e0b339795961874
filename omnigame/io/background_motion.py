"""What the background does by itself is not an effect: layer patches no stronger than it, dropped.

The background is one plate, the per-channel median of the video (seed 001), and real
backgrounds are not still: waves break, foam runs up the sand, leaves move. Where the frame
differs from the plate because of that, the difference is in no layer, or in a layer close by:
the network's attention reaches a little beyond each object's mask, and test-time training
lets a layer take whatever it can explain there. On the live set (objects over real moving
sea) a boy's layer held streaks of breaking wave around him in every frame, a quarter of what
the scene's effect IoU counted as his.

The video says how much its background changes by itself: per pixel, the typical
|frame - plate| over the frames where no object and no layer's effect covers it
(`omnigame.io.shadow_grow.still_noise`, a robust sigma). A layer's change over what lies
behind it that is no larger than that is no evidence of an effect. So, per frame, each
8-connected patch of a layer's alpha above `level`, farther than `rim` pixels from its own
mask (the rim is the object's own soft edge, `omnigame.io.edge_matte`), is dropped when the
median over the patch of (the layer's change) / (the background's own change) is below
`ratio`: a two-sigma test, on the patch as a whole, because a real effect's faint margin is
as weak as a wave and only the patch it belongs to tells them apart (per pixel, the same test
cost the live set's association 0.764 -> 0.727). Over a still background the noise is near
zero and every patch stays.

The noise must leave the layers' effects out as well as the masks: a slow object's shadow
covers the same sand in most frames, and counted as the background's own change it made the
test drop that shadow (live set, scene 02: association 0.69 -> 0.31). So the test runs once
every frame's layers are built, and their cover includes what the fits and `grow_shadow`
added: from the model's own alpha it dropped a faint shadow `grow_shadow` had taken
(synthetic split 0.891 -> 0.883).

A patch's strong core is judged on its own. Over moving water the network leaves a faint
haze (alpha 0.05-0.3) around an effect, and the haze joins the effect into one patch: on
boys-beach, while the shirtless boy jumps over the wash (frames 46-50), his shadow on the foam
(change 5-7 times the sea's own) sat in a patch of about 3,500 pixels of haze whose median was
1.7-1.9, and the whole patch went, shadow and all. So within a weak patch each 8-connected
part with alpha above `core` (0.5) whose own median strength reaches `ratio` stays; the rest
of the patch goes. On the kept model outputs (session 33, `rescore.py`): the live set 0.802 /
0.787 -> 0.801 / 0.787 (keeping a 3-pixel margin of haze around each core as well cost
0.007 of IoU; a core level of 0.3, 0.002), the synthetic split and the development
benchmark's still plates unchanged.

Measured on the outputs kept by session 18's default runs (`experiments/dev_benchmark`,
`rescore.py`): live set effect IoU 0.746 -> 0.778, association 0.764 -> 0.766; development
benchmark (still plates) 0.944 / 0.831 unchanged; synthetic split 0.891 / 0.815 -> 0.890 /
0.814. Detail transfer runs after the step, on the layers as they will be written.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from .alpha_fit import _behind_each
from .shadow_grow import still_noise

EIGHT = np.ones((3, 3), bool)  # 8-connected patches
LEVEL = 0.05  # alpha that makes a patch, and a pixel some layer covers (fit_alpha's seed)
CORE = 0.5  # alpha of a patch's core, judged on its own


def background_noise(frames: np.ndarray, background: np.ndarray, masks: np.ndarray,
                     cover: np.ndarray) -> np.ndarray:
    """frames, background (N, H, W, 3) uint8; masks (L, N, H, W) bool; cover (N, H, W) bool
    (some layer's effect) -> (H, W) float: the background's own typical change, objects and
    their effects left out (`still_noise`)."""
    return still_noise(frames, background, np.concatenate([masks, cover[None]]))


def drop_background_motion(rgba: torch.Tensor, background: torch.Tensor, order: torch.Tensor,
                           masks: np.ndarray, noise: np.ndarray, ratio: float = 2.0,
                           level: float = LEVEL, rim: int = 2) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1]; background (n, 3, H, W); order (n, L) back to front;
    masks (L, n, H, W) bool; noise (H, W) from `background_noise` -> rgba without the
    patches whose change is within `ratio` times the background's own (module docstring)."""
    L, n = rgba.shape[:2]
    out = rgba.clone()
    floor = torch.from_numpy(np.maximum(noise, 1e-3)).to(rgba.dtype)  # 1e-3: below 8-bit steps
    for t in range(n):
        behind, _ = _behind_each(out[:, t], background[t], order[t])
        for k in range(L):
            change = (out[k, t, 3:] * (out[k, t, :3] - behind[k])).abs().amax(0)
            _drop_patches(out[k, t], (change / floor).numpy(), masks[k, t], ratio, level, rim)
    return out


def _drop_patches(layer: torch.Tensor, strength: np.ndarray, mask: np.ndarray, ratio: float,
                  level: float, rim: int, core: float = CORE) -> None:
    """In place on one layer (4, H, W): strength (H, W) = change / noise. A weak patch keeps
    its strong cores: 8-connected patches of alpha above `core` whose own median strength is
    at least `ratio`."""
    near = ndimage.binary_dilation(mask, EIGHT, iterations=rim) if mask.any() else mask
    alpha = layer[3].numpy()
    weak = _weak(alpha > level, strength, near, ratio)
    if not weak.any():
        return
    # a strong effect can sit in a weak patch: a shadow in the faint haze the network leaves
    # around it over moving water (boys-beach, the jumping boy's shadow on the wash)
    cores = (alpha > core) & weak
    kept = cores & ~_weak(cores, strength, near, ratio)
    layer[3][torch.from_numpy(weak & ~kept)] = 0.0


def _weak(region: np.ndarray, strength: np.ndarray, out: np.ndarray, ratio: float) -> np.ndarray:
    """(H, W) bool: the 8-connected patches of region outside `out` whose median strength is
    below ratio."""
    patches, count = ndimage.label(region & ~out, EIGHT)
    if count == 0:
        return np.zeros_like(region)
    typical = np.asarray(ndimage.median(strength, patches, np.arange(1, count + 1)))
    return np.isin(patches, 1 + np.flatnonzero(typical < ratio))
