"""steady_effects: layer alpha that its neighbouring frames do not hold, relative to the layer,
is capped where the background moves; an effect that moves with its object stays."""
import numpy as np
import pytest
import torch

from omnigame.io.result_writer import build_layers
from omnigame.io.steady_effects import best_shift, moved, steady_effects
from omnigame.io.video import Video

N, H, W = 8, 40, 64


def _walker():
    """One object moving 2 px right per frame with a shadow at its feet; alpha (1, N, H, W)
    uint8 and masks. A streak of wave (alpha 120) in frame 4 only, beside the shadow."""
    alpha = np.zeros((1, N, H, W), np.uint8)
    masks = np.zeros((1, N, H, W), bool)
    for t in range(N):
        x = 6 + 2 * t
        masks[0, t, 8:20, x:x + 6] = True
        alpha[0, t, 8:20, x:x + 6] = 255
        alpha[0, t, 20:24, x - 4:x + 10] = 180  # the shadow, the same shape in every frame
    alpha[0, 4, 25:27, 14:40] = 120  # 2 px below the shadow, in no other frame
    return alpha, masks


def test_best_shift_finds_the_translation_and_moved_applies_it():
    rng = np.random.default_rng(0)
    a = np.zeros((H, W), np.float32)
    a[10:20, 15:30] = rng.uniform(0.5, 1, (10, 15))
    b = moved(a, 3, -5)
    assert best_shift(b, a, limit=8) == (3, -5)
    assert np.array_equal(moved(b, -3, 5)[10:20, 15:25], a[10:20, 15:25])


def test_a_streak_in_one_frame_is_capped_the_shadow_moving_with_its_object_stays():
    alpha, masks = _walker()
    out = steady_effects(alpha, masks, np.ones((H, W), bool), gap=2, tol=1)
    assert out[0, 4, 25:27, 14:40].max() == 0  # nothing two frames away holds it
    assert np.array_equal(out[0, :, 20:24], alpha[0, :, 20:24])  # the shadow moves with it
    assert np.array_equal(out[0][masks[0]], alpha[0][masks[0]])


def test_over_a_still_background_nothing_changes():
    alpha, masks = _walker()
    still = steady_effects(alpha, masks, np.zeros((H, W), bool))
    assert np.array_equal(still, alpha)
    half = np.zeros((H, W), bool)
    half[:, 27:] = True  # only the right part of the streak lies over moving water
    out = steady_effects(alpha, masks, half)
    assert out[0, 4, 25:27, 27:40].max() == 0
    assert np.array_equal(out[0, 4, 25:27, 14:27], alpha[0, 4, 25:27, 14:27])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_build_layers_caps_the_streak_only_with_steady(dtype):
    """Through build_layers: frames whose background flickers everywhere (so it moves), the
    model's layer holding the shadow in every frame and the streak in one."""
    alpha, masks = _walker()
    rng = np.random.default_rng(1)
    bg = np.full((H, W, 3), 200, np.uint8)
    frames = np.clip(200 + rng.normal(0, 12, (N, H, W, 3)), 0, 255).astype(np.uint8)
    video = Video(frames, masks, np.zeros((N, 1), np.int64), background=bg)
    small = torch.zeros(1, N, 4, H, W, dtype=dtype)
    small[0, :, 3] = torch.from_numpy(alpha[0]).to(dtype) / 255
    small[0, :, :3] = 0.1  # dark: the object, its shadow and the streak change the frame
    kw = dict(detail=False, sharpen=False)
    plain, steady = (build_layers(small, video, bg, steady=s, **kw) for s in (False, True))
    assert plain.rgba[0, 4, 25:27, 14:40, 3].min() >= 119
    assert steady.rgba[0, 4, 25:27, 14:40, 3].max() == 0
    assert np.array_equal(steady.rgba[0, :, 20:24], plain.rgba[0, :, 20:24])
    assert not np.array_equal(steady.reconstruction[4], plain.reconstruction[4])
