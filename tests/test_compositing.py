"""Back-to-front compositing against a hand computation, with a per-frame order."""
import numpy as np
import pytest
import torch

from omnigame.io.layers import Layers, checkerboard, composite_layers, over_checkerboard
from omnigame.model.compositing import composite, front_coverage, sort_layers


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_composite_follows_each_frames_order(dtype):
    B, L, K, H, W = 1, 2, 2, 1, 1
    rgba = torch.zeros(B, L, K, 4, H, W, dtype=dtype)
    rgba[0, 0, :, :3] = 1.0  # object 0: white, half transparent
    rgba[0, 1, :, :3] = 0.0  # object 1: black, half transparent
    rgba[0, :, :, 3] = 0.5
    background = torch.full((B, K, 3, H, W), 0.2, dtype=dtype)
    order = torch.tensor([[[0, 1], [1, 0]]])  # frame 0: 0 at the back; frame 1: 1 at the back
    out = composite(rgba, background, order)
    # frame 0: 0.2 -> 0.5*1 + 0.5*0.2 = 0.6 -> 0.5*0 + 0.5*0.6 = 0.3
    # frame 1: 0.2 -> 0.5*0 + 0.5*0.2 = 0.1 -> 0.5*1 + 0.5*0.1 = 0.55
    assert torch.allclose(out[0, 0], torch.full((3, 1, 1), 0.3, dtype=dtype))
    assert torch.allclose(out[0, 1], torch.full((3, 1, 1), 0.55, dtype=dtype))
    assert out.dtype == dtype


def test_padding_objects_are_skipped():
    rgba = torch.rand(1, 2, 1, 4, 2, 2)
    bg = torch.rand(1, 1, 3, 2, 2)
    order = torch.tensor([[[0, 1]]])
    only_first = composite(rgba[:, :1], bg, torch.tensor([[[0]]]))
    masked = composite(rgba, bg, order, object_valid=torch.tensor([[True, False]]))
    assert torch.allclose(only_first, masked)


def test_opaque_front_layer_hides_everything_behind():
    rgba = torch.rand(1, 3, 1, 4, 2, 2)
    rgba[0, 2, 0, 3] = 1.0
    out = composite(rgba, torch.rand(1, 1, 3, 2, 2), torch.tensor([[[1, 0, 2]]]))
    assert torch.allclose(out[0, 0], rgba[0, 2, 0, :3])


def test_sort_layers_and_front_coverage():
    masks = torch.zeros(1, 3, 1, 1, 1)
    masks[0, :, 0, 0, 0] = torch.tensor([1.0, 2.0, 4.0])  # tag objects by value
    order = torch.tensor([[[2, 0, 1]]])
    slots = sort_layers(masks, order)
    assert slots[0, :, 0, 0, 0].tolist() == [4.0, 1.0, 2.0]
    cover = front_coverage(slots)
    assert cover[0, :, 0, 0, 0].tolist() == [3.0, 2.0, 0.0]


def test_8bit_compositing_follows_order_skips_empty_slots_and_removed_objects():
    rgba = np.zeros((2, 1, 1, 1, 4), np.uint8)
    rgba[0, 0, 0, 0] = [255, 0, 0, 255]  # opaque red
    rgba[1, 0, 0, 0] = [0, 0, 255, 128]  # half-transparent blue
    bg = np.full((1, 1, 1, 3), 100, np.uint8)
    red_back = composite_layers(rgba, np.array([[0, 1]]), bg)[0, 0, 0]
    blue_back = composite_layers(rgba, np.array([[1, 0]]), bg)[0, 0, 0]
    assert red_back.tolist() == [127, 0, 128] and blue_back.tolist() == [255, 0, 0]
    assert composite_layers(rgba, np.array([[-1, 1]]), bg)[0, 0, 0].tolist() == [50, 50, 178]
    assert composite_layers(rgba, np.array([[0, 1]]), bg, objects=[1]).tolist() == \
        composite_layers(rgba, np.array([[-1, 1]]), bg).tolist()
    layers = Layers(rgba, bg, bg, np.array([[0, 1]]), ["a", "b"])
    assert layers.composite(objects=[1])[0, 0, 0].tolist() == [50, 50, 178]


def test_layers_over_a_checkerboard_show_the_checks_only_where_transparent():
    rgba = np.zeros((2, 16, 16, 4), np.uint8)
    rgba[1] = [10, 20, 30, 255]
    shown = over_checkerboard(rgba)
    assert shown.shape == (2, 16, 16, 3)
    assert np.array_equal(shown[0], checkerboard(16, 16)) and len(np.unique(shown[0])) == 2
    assert (shown[1] == [10, 20, 30]).all()
