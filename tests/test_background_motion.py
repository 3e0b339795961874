"""Patches of layer that change no more than the background does by itself are dropped
(omnigame.io.background_motion)."""
import numpy as np
import pytest
import torch

from omnigame.io.background_motion import background_noise, drop_background_motion
from omnigame.io.result_writer import build_layers
from omnigame.io.video import Video

H, W = 32, 48


def _one_frame(dtype, sea: float):
    """One object (rows 4-15, cols 20-27) over a grey plate; its layer holds a patch on the
    left (rows 20-23, cols 4-11) that darkens the plate by 0.04 and one on the right (cols
    34-41) that darkens it by 0.3; `sea`: the background's own typical change."""
    masks = np.zeros((1, 1, H, W), bool)
    masks[0, 0, 4:16, 20:28] = True
    rgba = torch.zeros(1, 1, 4, H, W, dtype=dtype)
    rgba[0, 0, 3] = torch.from_numpy(masks[0, 0]).to(dtype)
    rgba[0, 0, 3, 20:24, 4:12] = 0.2  # colour 0.3 over a plate of 0.5: change 0.04
    rgba[0, 0, :3, 20:24, 4:12] = 0.3
    rgba[0, 0, 3, 20:24, 34:42] = 0.6  # colour 0.0: change 0.3
    plate = torch.full((1, 3, H, W), 0.5, dtype=dtype)
    noise = np.full((H, W), sea, np.float32)
    return rgba, plate, masks, noise


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_patch_as_weak_as_the_background_moving_is_dropped_a_strong_one_kept(dtype):
    rgba, plate, masks, noise = _one_frame(dtype, sea=0.03)
    out = drop_background_motion(rgba, plate, torch.zeros(1, 1, dtype=torch.long),
                                 masks, noise)
    assert out.dtype == dtype
    assert out[0, 0, 3, 20:24, 4:12].max() == 0  # 0.04 < 2 x 0.03
    assert torch.equal(out[0, 0, :, 20:24, 34:42], rgba[0, 0, :, 20:24, 34:42])
    assert torch.equal(out[0, 0, :, masks[0, 0]], rgba[0, 0, :, masks[0, 0]])  # object kept


def test_over_a_still_background_every_patch_stays():
    rgba, plate, masks, noise = _one_frame(torch.float32, sea=0.0)
    out = drop_background_motion(rgba, plate, torch.zeros(1, 1, dtype=torch.long),
                                 masks, noise)
    assert torch.equal(out, rgba)


def test_the_objects_rim_is_left_to_the_edge_matte():
    rgba, plate, masks, noise = _one_frame(torch.float32, sea=0.03)
    rgba[0, 0, 3, 16:18, 20:28] = 0.2  # a faint band just under the object
    rgba[0, 0, :3, 16:18, 20:28] = 0.3
    out = drop_background_motion(rgba, plate, torch.zeros(1, 1, dtype=torch.long),
                                 masks, noise)
    assert torch.equal(out[0, 0, :, 16:18, 20:28], rgba[0, 0, :, 16:18, 20:28])
    assert out[0, 0, 3, 20:24, 4:12].max() == 0



def _haze_around(core_alpha: float, core_colour: float):
    """The layer of `_one_frame` with a large faint haze (alpha 0.1, change 0.02) over rows
    18-31, cols 0-19, and a small core in it (rows 24-25, cols 6-13)."""
    rgba, plate, masks, noise = _one_frame(torch.float32, sea=0.03)
    rgba[0, 0, 3, 18:32, 0:20] = 0.1
    rgba[0, 0, :3, 18:32, 0:20] = 0.3
    rgba[0, 0, 3, 24:26, 6:14] = core_alpha
    rgba[0, 0, :3, 24:26, 6:14] = core_colour
    return rgba, plate, masks, noise


def test_a_strong_core_in_a_weak_haze_is_kept_and_the_haze_dropped():
    """A shadow inside the faint haze the network leaves around it over moving water: the
    patch as a whole is as weak as the sea, its core (change 0.35) is not."""
    rgba, plate, masks, noise = _haze_around(0.7, 0.0)
    out = drop_background_motion(rgba, plate, torch.zeros(1, 1, dtype=torch.long),
                                 masks, noise)
    assert torch.equal(out[0, 0, :, 24:26, 6:14], rgba[0, 0, :, 24:26, 6:14])
    haze = torch.ones(H, W, dtype=torch.bool)
    haze[24:26, 6:14] = False
    haze[:18] = False
    haze[:, 20:] = False
    assert out[0, 0, 3][haze].max() == 0


def test_an_opaque_core_as_weak_as_the_sea_goes_with_its_haze():
    """Alpha alone does not make a core an effect: a wave the fit took at 0.6 whose change
    (0.6 x 0.05 = 0.03) is the sea's own is dropped with the patch around it."""
    rgba, plate, masks, noise = _haze_around(0.6, 0.45)
    out = drop_background_motion(rgba, plate, torch.zeros(1, 1, dtype=torch.long),
                                 masks, noise)
    assert out[0, 0, 3, 18:32, 0:20].max() == 0

def test_the_noise_leaves_out_where_a_layer_has_an_effect():
    """A shadow that covers the same pixels in most frames is not the background moving."""
    N = 8
    plate = np.full((N, H, W, 3), 128, np.uint8)
    frames = plate.copy()
    frames[:6, 20:24, 4:12] = 60  # a lingering shadow, six frames of eight
    masks = np.zeros((1, N, H, W), bool)
    cover = np.zeros((N, H, W), bool)
    cover[:6, 20:24, 4:12] = True
    without = background_noise(frames, plate, masks, np.zeros_like(cover))
    assert without[20:24, 4:12].min() > 0.3
    assert background_noise(frames, plate, masks, cover).max() == 0


def test_build_layers_drops_wave_streaks_and_keeps_the_shadow():
    """Over a sea that keeps changing by 0.03, a streak the model put in the layer (as weak
    as the sea) goes with drop_motion; the object's strong shadow stays."""
    rng = np.random.default_rng(0)
    N = 8
    bg = np.full((H, W, 3), 128, np.uint8)
    frames = np.clip(bg[None] + rng.normal(0, 8, (N, H, W, 1)), 0, 255).astype(np.uint8)
    frames = np.repeat(frames[..., :1], 3, -1)
    masks = np.zeros((1, N, H, W), bool)
    masks[0, :, 4:16, 20:28] = True
    frames[masks[0]] = 30
    frames[:, 20:24, 32:44] = 40  # the shadow, the same in every frame
    video = Video(frames, masks, np.zeros((N, 1), np.int64), background=bg)
    small = torch.zeros(1, N, 4, H, W)  # the model at the frames' size
    small[0, :, 3] = torch.from_numpy(masks[0]).float()
    small[0, :, :3, 4:16, 20:28] = 30 / 255
    small[0, :, 3, 20:24, 32:44] = 0.7
    small[0, :, :3, 20:24, 32:44] = 0.0
    for t in range(N):  # a streak of sea below the object, where the wave is in that frame
        rows = slice(24, 26) if t % 2 else slice(27, 29)
        small[0, t, 3, rows, 2:14] = 0.3
        small[0, t, :3, rows, 2:14] = 150 / 255
    kw = dict(detail=False, sharpen=False)
    plain, dropped = (build_layers(small, video, bg, drop_motion=d, **kw) for d in (False, True))
    streak = lambda lay: lay.rgba[0, :, 24:29, 2:14, 3]
    assert (streak(plain) > 60).sum() == N * 2 * 12
    assert streak(dropped).max() == 0
    assert np.array_equal(dropped.rgba[0, :, 20:24, 32:44], plain.rgba[0, :, 20:24, 32:44])
