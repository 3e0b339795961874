"""drop_specks: small patches of a layer away from its object, where the background moves,
dropped; the object, what touches it, large detached effects and anything over a still
background kept."""
import numpy as np
import torch

from omnigame.io.result_writer import build_layers
from omnigame.io.specks import drop_specks
from omnigame.io.video import Video

L, N, H, W = 1, 2, 48, 80


def _layer():
    """An object (20x10 = 200 px, so specks are under 4 px) with its shadow touching it, a
    3 px speck away from it, and a large detached patch (a jumping object's shadow, 60 px).
    -> alpha (L, N, H, W) uint8, masks."""
    masks = np.zeros((L, N, H, W), bool)
    masks[0, :, 5:25, 10:20] = True
    alpha = np.zeros((L, N, H, W), np.uint8)
    alpha[masks] = 255
    alpha[0, :, 25:28, 8:30] = 100  # the shadow at the feet: touches the mask
    alpha[0, :, 10:11, 50:53] = 120  # a speck of 3 px, far from the object
    alpha[0, :, 10:11, 49] = 5  # its faint skirt, below LEVEL
    alpha[0, :, 35:41, 50:60] = 90  # a detached shadow of 60 px
    return alpha, masks


def test_a_speck_over_moving_background_goes_with_its_skirt():
    alpha, masks = _layer()
    out = drop_specks(alpha, masks, np.ones((H, W), bool))
    assert (out[0, :, 10, 49:53] == 0).all()
    # everything else is kept: the object, the shadow touching it, the large detached patch
    rest = np.ones((H, W), bool)
    rest[10, 49:53] = False
    assert (out[:, :, rest] == alpha[:, :, rest]).all()


def test_nothing_goes_where_the_background_is_still():
    alpha, masks = _layer()
    assert (drop_specks(alpha, masks, np.zeros((H, W), bool)) == alpha).all()


def test_a_patch_touching_the_object_is_kept_however_small():
    alpha, masks = _layer()
    alpha[0, :, 12, 20] = 200  # one pixel right beside the mask
    assert (drop_specks(alpha, masks, np.ones((H, W), bool))[0, :, 12, 20] == 200).all()


def test_the_size_bar_follows_the_object():
    alpha, masks = _layer()
    # at 1% of the object's area (2 px) the 3 px patch is no longer a speck
    out = drop_specks(alpha, masks, np.ones((H, W), bool), share=0.01)
    assert (out[0, :, 10, 50:53] == 120).all()


def test_build_layers_drops_specks_only_when_asked():
    alpha, masks = _layer()
    rgba = np.zeros((L, N, 4, H, W), np.float32)
    rgba[:, :, 3] = alpha / 255.0
    noise = np.random.default_rng(0).integers(0, 255, (N + 1, H, W, 3)).astype(np.uint8)
    frames, bg = noise[:N], noise[N]  # every frame differs from the plate: it moves
    video = Video(frames, masks, np.zeros((N, L), int), background=bg)
    kw = dict(detail=False, sharpen=False)
    plain, clean = (build_layers(torch.from_numpy(rgba), video, bg, drop_specks=d, **kw)
                    for d in (False, True))
    assert (plain.rgba[0, :, 10, 50:53, 3] > 0).all()
    assert (clean.rgba[0, :, 10, 50:53, 3] == 0).all()
    assert (clean.rgba[0, :, 35:41, 50:60, 3] == plain.rgba[0, :, 35:41, 50:60, 3]).all()
