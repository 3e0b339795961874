import numpy as np
import pytest
import torch

from omnigame.io.effect_tracks import apply_donors, track_owner

N, H, W = 8, 32, 48


def _masks() -> np.ndarray:
    """Two objects standing still: 0 on the left, 1 on the right. (2, N, H, W) bool."""
    masks = np.zeros((2, N, H, W), bool)
    masks[0, :, 4:14, 4:10] = True
    masks[1, :, 4:14, 36:42] = True
    return masks


def _streak(t: int) -> tuple:
    """A shadow sliding right one pixel a frame, below and between the objects."""
    return slice(20, 24), slice(14 + t, 24 + t)


def test_an_effect_that_changes_layers_mid_clip_goes_whole_to_the_one_holding_most():
    alpha = np.zeros((2, N, H, W), np.uint8)
    for t in range(N):
        alpha[0 if t < 6 else 1, t][_streak(t)] = 120  # layer 1 takes it for the last 2 frames
    donor = track_owner(alpha, _masks())
    for t in (6, 7):
        assert (donor[0, t][_streak(t)] == 1).all()
    assert (donor[1] == -1).all() and (donor[0, :6] == -1).all()

    rgba = torch.zeros(2, N, 4, H, W)
    rgba[:, :, 3] = torch.from_numpy(alpha).float() / 255
    rgba[1, :, :3] = 0.2  # the shadow's colour, as layer 1 holds it
    out = apply_donors(rgba, donor)
    for t in (6, 7):
        ys, xs = _streak(t)
        assert torch.allclose(out[0, t, 3, ys, xs], torch.tensor(120 / 255))
        assert torch.allclose(out[0, t, :3, ys, xs], torch.tensor(0.2))
        assert (out[1, t, 3, ys, xs] == 0).all()
    assert torch.equal(out[:, :6], rgba[:, :6])


def test_two_effects_held_at_once_by_two_layers_stay_where_they_are():
    # each object's own shadow, side by side and touching, in every frame: not a swap
    alpha = np.zeros((2, N, H, W), np.uint8)
    alpha[0, :, 20:24, 14:24] = 120
    alpha[1, :, 20:24, 24:34] = 100
    assert (track_owner(alpha, _masks()) == -1).all()


@pytest.mark.parametrize("level", [5, 200])
def test_an_effect_in_one_layer_only_is_never_moved(level):
    alpha = np.zeros((2, N, H, W), np.uint8)
    for t in range(N):
        alpha[1, t][_streak(t)] = level
    assert (track_owner(alpha, _masks()) == -1).all()
