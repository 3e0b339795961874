"""The median plate without the shadow of an object that stands still (omnigame.data.background)."""
import numpy as np
import pytest
import torch

from omnigame.data.background import lift_shadows, median_background

N, H, W = 20, 24, 32


def _clip(change, share=0.7, seed=0):
    """A textured plate; an object (mask) stands still at the right; in `share` of the frames
    `change` (plate -> plate') acts on a patch beside it, outside the mask."""
    rng = np.random.default_rng(seed)
    plate = rng.uniform(90, 220, (H, W, 3))
    frames = np.repeat(plate[None], N, 0)
    patch = (slice(8, 14), slice(4, 20))
    for t in range(int(share * N)):
        frames[t][patch] = change(frames[t][patch])
    masks = np.zeros((1, N, H, W), bool)
    masks[0, :, 4:20, 22:28] = True
    frames[masks[0]] = 30
    return frames.round().astype(np.uint8), masks, plate, patch


def test_a_shadow_in_most_frames_is_lifted():
    frames, masks, plate, patch = _clip(lambda p: 0.55 * p)
    median, _ = median_background(frames, masks)
    lifted, _ = median_background(frames, masks, shadow_free=True)
    assert np.abs(median[patch] - 0.55 * plate[patch]).max() <= 1  # the median holds it
    assert np.abs(lifted[patch] - plate[patch]).max() <= 1  # the lit ground
    outside = ~masks[0, 0]  # (inside, the plate is filled from around: the lifted patch too)
    outside[patch] = False
    assert np.array_equal(lifted[outside], median[outside])


@pytest.mark.parametrize("change", [
    lambda p: np.minimum(p + 40, 255),  # brighter: glare, a reflection, foam
    lambda p: p * [0.4, 1.0, 1.0],  # darker, but another colour: not a shadow
], ids=["brighter", "recoloured"])
def test_what_is_not_a_shadow_stays_with_the_median(change):
    frames, masks, _, _ = _clip(change)
    median, _ = median_background(frames, masks)
    lifted, _ = median_background(frames, masks, shadow_free=True)
    assert np.array_equal(lifted, median)


def test_noise_alone_is_not_a_shadow():
    rng = np.random.default_rng(3)
    frames, masks, _, _ = _clip(lambda p: p, share=0)
    noisy = np.clip(frames + rng.normal(0, 3, frames.shape), 0, 255).round().astype(np.uint8)
    median, _ = median_background(noisy, masks)
    lifted, _ = median_background(noisy, masks, shadow_free=True)
    assert np.array_equal(lifted, median)


def test_lifting_block_by_block_changes_nothing():
    frames, masks, _, _ = _clip(lambda p: 0.6 * p)
    x = torch.from_numpy(frames).float()
    x[torch.from_numpy(masks.any(0))] = float("nan")
    median = torch.nanmedian(x, dim=0).values
    assert torch.equal(lift_shadows(x, median, rows=5).nan_to_num(-1),
                       lift_shadows(x, median, rows=H).nan_to_num(-1))
