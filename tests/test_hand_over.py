"""An effect patch detached from its object, handed to the one other object it touches
(omnigame.io.hand_over)."""
import numpy as np
import pytest
import torch

from omnigame.io.hand_over import hand_over_detached

H, W = 24, 40


def _scene(dtype, patch_cols=slice(14, 20)):
    """Two objects side by side in one frame; layer 0 holds a shadow patch at rows 18-21."""
    masks = np.zeros((2, 1, H, W), bool)
    masks[0, 0, 4:16, 2:8] = True  # object 0, on the left
    masks[1, 0, 4:16, 22:28] = True  # object 1, on the right
    rgba = torch.zeros(2, 1, 4, H, W, dtype=dtype)
    rgba[:, :, 3] = torch.from_numpy(masks).to(dtype)
    rgba[0, 0, 3, 18:22, patch_cols] = 0.4
    rgba[0, 0, :3, 18:22, patch_cols] = 0.1
    return rgba, masks


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_patch_that_touches_only_the_other_object_goes_to_it(dtype):
    rgba, masks = _scene(dtype, patch_cols=slice(14, 24))  # under object 1's feet
    masks[1, 0, 4:18] = masks[1, 0, 4:5].copy()  # object 1 reaches down to row 17
    out = hand_over_detached(rgba, masks)
    assert out.dtype == dtype
    assert out[0, 0, 3, 18:22, 14:24].max() == 0  # gone from object 0's layer
    assert torch.allclose(out[1, 0, 3, 18:22, 14:24], torch.tensor(0.4, dtype=dtype))
    assert torch.allclose(out[1, 0, :3, 18:22, 14:24], torch.tensor(0.1, dtype=dtype))
    assert torch.equal(out[:, :, :, masks[0, 0]], rgba[:, :, :, masks[0, 0]])  # objects kept


def test_a_patch_that_touches_its_own_object_stays():
    rgba, masks = _scene(torch.float32, patch_cols=slice(4, 24))  # from object 0's feet to 1's
    masks[:, 0, 16:18] = masks[:, 0, 15:16]  # both reach down to row 17
    assert torch.equal(hand_over_detached(rgba, masks), rgba)


def test_a_patch_that_touches_nothing_or_two_objects_stays():
    rgba, masks = _scene(torch.float32)  # between the two, touching neither
    assert torch.equal(hand_over_detached(rgba, masks), rgba)
    three = np.concatenate([masks, masks[1:]])  # a third object: the patch touches 1 and 2
    three[1:, 0] = False
    three[1, 0, 19, 12] = True
    three[2, 0, 19, 21] = True
    layers = torch.cat([rgba, rgba[1:]])
    layers[1:, :, 3] = torch.from_numpy(three[1:]).float()
    assert torch.equal(hand_over_detached(layers, three), layers)


def test_the_receiving_layer_keeps_what_it_has_more_of():
    rgba, masks = _scene(torch.float32, patch_cols=slice(14, 24))
    masks[1, 0, 4:18] = masks[1, 0, 4:5].copy()
    rgba[1, 0, 3, 18:22, 22:24] = 0.9  # object 1's own, stronger shadow there
    rgba[1, 0, :3, 18:22, 22:24] = 0.5
    out = hand_over_detached(rgba, masks)
    assert torch.allclose(out[1, 0, 3, 18:22, 22:24], torch.tensor(0.9))
    assert torch.allclose(out[1, 0, :3, 18:22, 22:24], torch.tensor(0.5))
    assert out[0, 0, 3, 18:22].max() == 0


def test_one_object_is_left_alone():
    rgba, masks = _scene(torch.float32)
    assert torch.equal(hand_over_detached(rgba[:1], masks[:1]), rgba[:1])
