"""steady_owner: alpha a layer holds in one frame only, at a place another layer holds in the
frames around, goes back to that layer; what is held steadily stays where it is."""
import numpy as np
import pytest
import torch

from omnigame.io.result_writer import build_layers
from omnigame.io.steady_owner import steady_owner, supports
from omnigame.io.video import Video

L, N, H, W = 2, 8, 40, 64


def _two_walkers():
    """Two objects standing still; object 0's shadow (alpha 0.3) to the right of its feet in
    every frame, object 1's shadow (0.4) to the left of its feet. In frames 4 and 6 object 1's
    layer takes part of object 0's shadow (0.2, leaving 0.1 to object 0)."""
    alpha = np.zeros((L, N, H, W), np.uint8)
    masks = np.zeros((L, N, H, W), bool)
    masks[0, :, 5:20, 30:36] = True
    masks[1, :, 5:20, 10:16] = True
    alpha[masks] = 255
    alpha[0, :, 20:24, 32:56] = 77  # object 0's shadow
    alpha[1, :, 20:24, 2:14] = 102  # object 1's shadow
    for t in (4, 6):
        alpha[1, t, 20:24, 40:56] = 51
        alpha[0, t, 20:24, 40:56] = 26
    return alpha, masks


def test_a_shadow_taken_by_the_wrong_layer_in_two_frames_goes_back_to_its_owner():
    alpha, masks = _two_walkers()
    out = steady_owner(alpha, masks, tol=1)
    for t in (4, 6):
        assert out[1, t, 20:24, 40:56].max() == 0  # the other layer keeps nothing of it
        # the owner takes the pair's cover, 1 - (1 - 0.1)(1 - 0.2): the frame is unchanged
        cover = 255 * (1 - (1 - 26 / 255) * (1 - 51 / 255))
        assert np.all(np.abs(out[0, t, 20:24, 40:56] - cover) <= 1)


def test_what_the_owner_cannot_take_stays_so_the_frame_keeps_its_cover():
    alpha, masks = _two_walkers()
    for t in (4, 6):  # the other layer takes more than the owner ever holds (0.3)
        alpha[1, t, 20:24, 40:56] = 128
    out = steady_owner(alpha, masks, tol=1).astype(float) / 255
    a = alpha.astype(float) / 255
    clear = lambda x: (1 - x[0, 4, 20:24, 40:56]) * (1 - x[1, 4, 20:24, 40:56])
    assert np.all(np.abs(out[0, 4, 20:24, 40:56] - 77 / 255) <= 1 / 255)  # up to its support
    assert np.all(out[1, 4, 20:24, 40:56] > 0.3)  # the rest stays
    assert np.all(np.abs(clear(out) - clear(a)) <= 2 / 255)


def test_what_both_layers_hold_steadily_stays_where_it_is():
    alpha, masks = _two_walkers()
    steady = alpha.copy()
    for t in (4, 6):  # the slip undone: every frame alike
        steady[:, t] = alpha[:, 3]
    assert np.array_equal(steady_owner(steady, masks, tol=1), steady)
    alpha[1, :, 20:24, 40:56] = 30  # two effects overlapping in every frame: both stay
    assert np.array_equal(steady_owner(alpha, masks, tol=1)[:, :, 20:24, 40:56],
                          alpha[:, :, 20:24, 40:56])


def test_unsupported_alpha_no_other_layer_holds_is_left_alone():
    alpha, masks = _two_walkers()
    alpha[0, 4, 20:24, 40:56] = 200  # more than object 0 holds there in other frames, but
    out = steady_owner(alpha, masks, tol=1)  # nobody else holds it either: not handed on
    assert np.array_equal(out[:, 4, 20:24, 40:56], alpha[:, 4, 20:24, 40:56])
    alpha[1, 5, 30:34, 40:60] = 120  # in one frame, where no layer is in any other frame
    out = steady_owner(alpha, masks, tol=1)
    assert np.array_equal(out[:, 5, 30:34], alpha[:, 5, 30:34])


def test_support_follows_each_layers_own_motion():
    alpha = np.zeros((1, N, H, W), np.uint8)
    for t in range(N):  # a blob moving 3 px right per frame
        alpha[0, t, 10:20, 5 + 3 * t:15 + 3 * t] = 200
    sup = supports(alpha, tol=0)
    assert np.array_equal(sup[0, 3], alpha[0, 3])  # the moved neighbours cover it exactly


@pytest.mark.parametrize("frames", [1, 2])
def test_too_few_frames_or_one_layer_changes_nothing(frames):
    alpha, masks = _two_walkers()
    assert np.array_equal(steady_owner(alpha[:, :frames], masks[:, :frames]), alpha[:, :frames])
    assert np.array_equal(steady_owner(alpha[:1], masks[:1]), alpha[:1])


def test_build_layers_hands_the_shadow_back_only_with_steady_owner():
    """Through build_layers, on a still background: the slip of frames 4 and 6 is mended
    with steady_owner=True (steady does nothing there: nothing moves)."""
    alpha, masks = _two_walkers()
    bg = np.full((H, W, 3), 200, np.uint8)
    video = Video(np.broadcast_to(bg, (N, H, W, 3)).copy(), masks,
                  np.tile(np.arange(L), (N, 1)), background=bg)
    small = torch.zeros(L, N, 4, H, W)
    small[:, :, 3] = torch.from_numpy(alpha).float() / 255
    kw = dict(detail=False, sharpen=False, steady=True)
    plain, owned = (build_layers(small, video, bg, steady_owner=s, **kw) for s in (False, True))
    assert plain.rgba[1, 4, 20:24, 40:56, 3].min() >= 50
    assert owned.rgba[1, 4, 20:24, 40:56, 3].max() == 0
    assert owned.rgba[0, 4, 20:24, 40:56, 3].min() > plain.rgba[0, 4, 20:24, 40:56, 3].max()
