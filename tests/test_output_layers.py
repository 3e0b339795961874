"""Layers at the input resolution: premultiplied resizing, mask-guided alpha, detail transfer."""
import numpy as np
import pytest
import torch

from omnigame.data.prepare import resize_masks
from omnigame.io.result_writer import (bilinear, build_layers, full_range_alpha, model_masks,
                                       sharpen_alpha, upsample_layers)
from omnigame.model.rgba_decoder import ALPHA_FLOOR, RGBADecoder
from omnigame.io.video import Video


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_premultiplied_upsampling_has_no_colour_halo(dtype):
    # a red opaque square on a fully transparent layer whose hidden colour is green
    rgba = torch.zeros(1, 1, 4, 8, 8, dtype=dtype)
    rgba[0, 0, 1] = 1.0  # green where alpha is 0: must never show
    rgba[0, 0, :, 2:6, 2:6] = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=dtype)[:, None, None]
    up = upsample_layers(rgba, (32, 32))[0, 0]
    edge = (up[3] > 0.05) & (up[3] < 0.95)
    assert edge.any()
    assert up[1][edge].max() < 1e-3  # straight-colour resizing would mix green into the edge
    assert torch.allclose(up[0][edge], torch.ones_like(up[0][edge]), atol=1e-3)


def test_sharpen_alpha_keeps_effects_and_takes_the_masks_edges():
    H, W, h, w = 64, 96, 16, 24
    mask = np.zeros((1, 1, H, W), bool)
    mask[0, 0, 20:44, 30:34] = True  # a limb 4 px wide: invisible at 1/4 scale
    small = torch.zeros(1, 1, 4, h, w)
    # the model's alpha follows the mask it saw at its own size, and adds a shadow
    small[0, 0, 3] = resize_masks(torch.from_numpy(mask[0]), (h, w)).float()
    small[0, 0, 3, 12:15, 2:8] = 0.5
    up = upsample_layers(small, (H, W))
    seen = bilinear((H, W))(model_masks(mask, (h, w))[0, :, None].float(), range(1))
    out = sharpen_alpha(up, mask, seen[None, :, 0])[0, 0, 3]
    assert out[mask[0, 0]].min() > 0.99  # the thin limb is opaque at full resolution
    shadow = torch.zeros(H, W, dtype=torch.bool)
    shadow[46:, :26] = True  # far from the limb
    shadow &= up[0, 0, 3] > 0.1
    assert shadow.sum() > 100
    assert torch.allclose(out[shadow], up[0, 0, 3][shadow], atol=1e-6)  # effect untouched
    assert out[:, 50:].max() < 1e-6


def test_build_layers_defaults_reconstruct_the_input_better():
    rng = np.random.default_rng(0)
    N, H, W = 2, 64, 64
    bg = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    frames = np.repeat(bg[None], N, 0)
    frames[:, 16:48, 16:48] = rng.integers(0, 255, (N, 32, 32, 3), dtype=np.uint8)
    masks = np.zeros((1, N, H, W), bool)
    masks[0, :, 16:48, 16:48] = True
    video = Video(frames, masks, np.zeros((N, 1), np.int64), background=bg)
    small = torch.zeros(1, N, 4, 16, 16)
    small[0, :, 3, 4:12, 4:12] = 1.0
    small[0, :, :3] = 0.5
    plain = build_layers(small, video, bg, detail=False, sharpen=False)
    sharp = build_layers(small, video, bg, detail=True, sharpen=True)
    err = lambda lay: np.abs(lay.reconstruction.astype(int) - frames).mean()
    assert err(sharp) < 0.25 * err(plain)
    # the object's own texture is in its layer (not a flat 0.5 grey)
    assert sharp.rgba[0, 0, 20:44, 20:44, :3].std() > 40


def test_sharpen_alpha_makes_the_masked_object_opaque():
    H, W = 32, 32
    mask = np.zeros((1, 1, H, W), bool)
    mask[0, 0, 8:24, 8:24] = True
    rgba = torch.zeros(1, 1, 4, H, W)
    rgba[0, 0, 3, 8:24, 8:24] = 0.4  # an under-trained model: the object half transparent
    rgba[0, 0, 3, 26:30, 8:24] = 0.6  # and a shadow below it, outside the mask
    seen = torch.from_numpy(mask[0]).float()
    out = sharpen_alpha(rgba, mask, seen)[0, 0, 3]
    assert torch.all(out[8:24, 8:24] == 1.0)  # the background no longer shows through
    assert torch.allclose(out[26:30, 8:24], torch.full((4, 16), 0.6))  # the effect is kept


def test_build_layers_fits_a_thin_shadow_to_the_frame():
    """The model sees a 2-px shadow at 1/4 scale as a faint smear; with fit_alpha the layer at
    the input resolution has the shadow's true footprint and strength."""
    rng = np.random.default_rng(1)
    N, H, W = 2, 64, 96
    bg = rng.integers(120, 230, (H, W, 3), dtype=np.uint8)
    masks = np.zeros((1, N, H, W), bool)
    masks[0, :, 20:50, 60:68] = True
    true_alpha = np.zeros((N, H, W))
    true_alpha[:, 48:50, 20:60] = 0.6  # a thin shadow at the object's feet
    frames = ((1 - true_alpha[..., None]) * bg).round().astype(np.uint8)
    frames[masks[0]] = 40
    video = Video(frames, masks, np.zeros((N, 1), np.int64), background=bg)
    small = torch.zeros(1, N, 4, 16, 24)  # what the model gives at its size: a smear
    small[0, :, 3] = torch.nn.functional.avg_pool2d(torch.from_numpy(true_alpha).float(), 4)
    small[0, :, 3, 5:13, 15:17] = 1.0
    small[0, :, :3, 5:13, 15:17] = 40 / 255
    kw = dict(detail=False, sharpen=True)
    plain = build_layers(small, video, bg, **kw)
    fitted = build_layers(small, video, bg, fit_alpha=True, **kw)
    err = lambda lay: np.abs(lay.rgba[0, ..., 3] / 255 - true_alpha)[~masks[0]].mean()
    assert err(fitted) < 0.3 * err(plain)
    assert np.array_equal(fitted.rgba[0][masks[0]], plain.rgba[0][masks[0]])
    on_shadow = fitted.rgba[0, :, 48:50, 22:58, 3] / 255
    assert abs(on_shadow.mean() - 0.6) < 0.05


def test_build_layers_grows_a_long_shadow_the_model_missed():
    """The model gives the object and none of its long shadow; with grow_shadow the layer at the
    input resolution holds the shadow, and the reconstruction explains the frame there."""
    rng = np.random.default_rng(2)
    N, H, W = 2, 64, 96
    bg = rng.integers(120, 230, (H, W, 3), dtype=np.uint8)
    masks = np.zeros((1, N, H, W), bool)
    masks[0, :, 20:50, 60:68] = True
    true_alpha = np.zeros((N, H, W))
    true_alpha[:, 46:50, 10:60] = 0.5  # 50 px long, starting at the object's feet
    frames = ((1 - true_alpha[..., None]) * bg).round().astype(np.uint8)
    frames[masks[0]] = 40
    video = Video(frames, masks, np.zeros((N, 1), np.int64), background=bg)
    small = torch.zeros(1, N, 4, 16, 24)
    small[0, :, 3, 5:13, 15:17] = 1.0
    small[0, :, :3, 5:13, 15:17] = 40 / 255
    kw = dict(detail=False, sharpen=True, fit_alpha=True)
    plain = build_layers(small, video, bg, **kw)
    grown = build_layers(small, video, bg, grow_shadow=True, **kw)
    # (the first pixels at the feet hold the model's blurred silhouette: fit_alpha's business)
    on_shadow = lambda lay: lay.rgba[0, :, 46:50, 10:50, 3] / 255
    assert on_shadow(plain).mean() < 0.05
    assert abs(on_shadow(grown).mean() - 0.5) < 0.05
    error = lambda lay: np.abs(lay.reconstruction.astype(int) - frames)[:, 46:50, 10:50].max()
    assert error(grown) <= 3 < 20 < error(plain)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_decoders_alpha_floor_is_no_layer(dtype):
    # a real decoder's output: alpha at its floor wherever the object is not
    decoder = RGBADecoder(8, [8, 8])
    with torch.no_grad():
        decoder.to_rgba.bias.fill_(-10.0)  # every logit far below the clamp
        small = decoder(torch.randn(2, 8, 4, 4)).to(dtype)  # (2, 4, 16, 16)
    assert torch.allclose(small[:, 3], torch.full_like(small[:, 3], ALPHA_FLOOR))
    assert round(ALPHA_FLOOR * 255) == 1  # unstretched, a 1/255 veil on every pixel
    out = full_range_alpha(small[None])
    assert out[..., 3, :, :].abs().max() == 0  # exactly transparent
    assert torch.equal(out[..., :3, :, :], small[None, :, :3])  # colour untouched
    ceiling = torch.full((1, 1, 4, 2, 2), 1 - ALPHA_FLOOR, dtype=dtype)
    assert torch.allclose(full_range_alpha(ceiling)[..., 3, :, :], torch.ones(1, 1, 2, 2, dtype=dtype))


def test_build_layers_leaves_no_veil_outside_the_object():
    N, H, W = 2, 32, 32
    bg = np.full((H, W, 3), 100, np.uint8)
    frames = np.repeat(bg[None], N, 0)
    masks = np.zeros((1, N, H, W), bool)
    masks[0, :, 8:24, 8:24] = True
    frames[:, 8:24, 8:24] = 200
    video = Video(frames, masks, np.zeros((N, 1), np.int64), background=bg)
    small = torch.full((1, N, 4, 16, 16), 200 / 255)
    small[0, :, 3] = ALPHA_FLOOR  # the decoder's "nothing here"
    small[0, :, 3, 4:12, 4:12] = 1 - ALPHA_FLOOR
    layers = build_layers(small, video, bg, detail=False)
    assert (layers.rgba[0, :, :, :4, 3] == 0).all()  # far from the mask: exactly 0, not 1/255
    assert (layers.rgba[0][masks[0]][:, 3] == 255).all()
