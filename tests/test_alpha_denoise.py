"""denoise_effect_alpha: a layer's alpha beyond the masks' rims lightly blurred, the
composite kept, the rims and the masks left as they are."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from omnigame.io.alpha_denoise import denoise_effect_alpha, gaussian_blur
from omnigame.io.result_writer import build_layers
from omnigame.io.video import Video

L, N, H, W = 2, 3, 40, 64


def _noisy_shadows(dtype=torch.float32, seed=0):
    """Two objects, each with a smooth grey shadow (alpha 0.4) to its side whose alpha carries
    per-pixel noise (sd 0.08); a light plate. -> rgba, clean alpha, plate, order, masks."""
    g = torch.Generator().manual_seed(seed)
    masks = np.zeros((L, N, H, W), bool)
    masks[0, :, 5:20, 10:16] = True
    masks[1, :, 5:20, 40:46] = True
    clean = torch.zeros(L, N, H, W, dtype=dtype)
    clean[0, :, 20:30, 4:30] = 0.4
    clean[1, :, 20:30, 34:60] = 0.4
    clean[torch.from_numpy(masks)] = 1.0
    noisy = clean + 0.08 * torch.randn(L, N, H, W, generator=g, dtype=dtype) * (clean == 0.4)
    rgba = torch.zeros(L, N, 4, H, W, dtype=dtype)
    rgba[:, :, :3] = 0.3  # a shadow's grey: no clamping of the colour solved for
    rgba[:, :, 3] = noisy.clamp(0, 1)
    plate = torch.full((N, 3, H, W), 0.8, dtype=dtype)
    order = torch.tensor([[0, 1]] * N)
    return rgba, clean, plate, order, masks


def _composite(rgba, plate, order):
    out = plate.clone()
    for t in range(rgba.shape[1]):
        for k in order[t].tolist():
            a = rgba[k, t, 3:]
            out[t] = a * rgba[k, t, :3] + (1 - a) * out[t]
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_blur_brings_a_noisy_shadow_closer_to_its_smooth_alpha(dtype):
    rgba, clean, plate, order, masks = _noisy_shadows(dtype)
    out = denoise_effect_alpha(rgba, plate, order, masks)
    inner = torch.zeros(H, W, dtype=torch.bool)
    inner[22:28, 6:28] = True  # inside the shadow, away from its border
    before = (rgba[0, :, 3] - clean[0]).abs()[:, inner].mean()
    after = (out[0, :, 3] - clean[0]).abs()[:, inner].mean()
    assert after < 0.75 * before
    assert out.dtype == dtype


def test_the_composite_is_kept():
    rgba, _, plate, order, masks = _noisy_shadows()
    out = denoise_effect_alpha(rgba, plate, order, masks)
    assert not torch.equal(out[:, :, 3], rgba[:, :, 3])
    diff = (_composite(out, plate, order) - _composite(rgba, plate, order)).abs().max()
    assert diff < 1e-5


def test_masks_and_their_rims_are_left_as_they_are():
    rgba, _, plate, order, masks = _noisy_shadows()
    rgba[0, :, 3, 20:22, 8:18] = 0.9  # a rim-like edge under object 0's mask
    out = denoise_effect_alpha(rgba, plate, order, masks, rim=2)
    for t in range(N):
        near = torch.from_numpy(ndimage.binary_dilation(masks[:, t].any(0), iterations=2))
        assert torch.equal(out[:, t][..., near], rgba[:, t][..., near])


def test_gaussian_blur_keeps_a_constant_and_spreads_a_point():
    flat = torch.full((1, 9, 9), 0.3)
    assert torch.allclose(gaussian_blur(flat, 0.5), flat)
    point = torch.zeros(1, 9, 9)
    point[0, 4, 4] = 1.0
    blurred = gaussian_blur(point, 0.5)
    assert abs(float(blurred.sum()) - 1.0) < 1e-6
    assert 0.55 < float(blurred[0, 4, 4]) < 0.7 and float(blurred[0, 4, 5]) > 0.05


def test_build_layers_denoises_only_when_asked():
    rgba, clean, plate, order, masks = _noisy_shadows()
    bg = np.full((H, W, 3), 204, np.uint8)
    video = Video(np.broadcast_to(bg, (N, H, W, 3)).copy(), masks, order.numpy(), background=bg)
    kw = dict(detail=False, sharpen=False)
    plain, smooth = (build_layers(rgba, video, bg, denoise_alpha=d, **kw) for d in (False, True))
    err = lambda layers: np.abs(layers.rgba[0, :, 22:28, 6:28, 3] / 255 - 0.4).mean()
    assert err(smooth) < 0.75 * err(plain)
