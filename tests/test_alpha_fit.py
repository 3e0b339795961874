"""Effect alpha fitted to the input frame (omnigame.io.alpha_fit)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from omnigame.io.alpha_fit import fit_effect_alpha

H, W = 32, 48


def _scene(seed=0):
    """A textured plate, a sharp true shadow (black, alpha 0.5 in a thin band) and the layer a
    low-resolution model gives: the same shadow blurred by 4x down- and upsampling."""
    g = torch.Generator().manual_seed(seed)
    bg = 0.3 + 0.6 * torch.rand(1, 3, H, W, generator=g)
    true_alpha = torch.zeros(1, 1, H, W)
    true_alpha[..., 20:23, 8:30] = 0.5
    mask = np.zeros((1, 1, H, W), bool)
    mask[..., 10:23, 30:36] = True  # the object stands at the shadow's end
    true_alpha[..., 10:23, 30:36] = 1.0
    colour = torch.zeros(1, 3, H, W)  # a black shadow, a grey object
    colour[..., 10:23, 30:36] = 0.2
    frame = true_alpha * colour + (1 - true_alpha) * bg
    small = F.avg_pool2d(true_alpha, 4)
    blurred = F.interpolate(small, size=(H, W), mode="bilinear", align_corners=False)
    blurred = torch.where(torch.from_numpy(mask[0])[:, None], true_alpha, blurred)
    rgba = torch.cat([colour, blurred], 1)[None]  # (L=1, n=1, 4, H, W)
    return rgba, frame, bg, mask, true_alpha


def _fit(rgba, frame, bg, mask, **kw):
    return fit_effect_alpha(rgba, frame, bg, torch.zeros(1, rgba.shape[0], dtype=torch.long)
                            + torch.arange(rgba.shape[0]), mask, **kw)


def test_fit_recovers_a_sharp_shadow_from_a_blurred_one():
    rgba, frame, bg, mask, true_alpha = _scene()
    out = _fit(rgba, frame, bg, mask)
    before = (rgba[0, 0, 3] - true_alpha[0, 0]).abs().mean()
    after = (out[0, 0, 3] - true_alpha[0, 0]).abs().mean()
    assert after < 0.25 * before
    assert torch.equal(out[0, 0, :3], rgba[0, 0, :3])  # colour is kept
    inside = torch.from_numpy(mask[0, 0])
    assert torch.equal(out[0, 0, 3][inside], rgba[0, 0, 3][inside])  # the mask's alpha too


def test_fit_leaves_pixels_far_from_any_effect_alone():
    rgba, frame, bg, mask, _ = _scene()
    frame = frame.clone()
    frame[..., 2:6, 2:6] *= 0.5  # background error far from the shadow: not the layer's
    out = _fit(rgba, frame, bg, mask)
    assert torch.equal(out[0, 0, 3, 2:6, 2:6], rgba[0, 0, 3, 2:6, 2:6])


def test_fit_is_not_seeded_by_a_faint_haze():
    """A moving sea: the frame differs from the plate along a wave, and the layer has only a
    faint haze there (0.04, under seed_alpha). The wave stays with the background; the shadow,
    which the layer holds at 0.5, is still fitted."""
    rgba, frame, bg, mask, _ = _scene()
    rgba, frame = rgba.clone(), frame.clone()
    frame[..., 2:5, 4:20] = 1.0  # foam, brighter than the plate
    rgba[0, 0, 3, 1:6, 3:21] = 0.04
    rgba[0, 0, :3, 1:6, 3:21] = 1.0
    out = _fit(rgba, frame, bg, mask)
    assert torch.equal(out[0, 0, 3, 1:6, 3:21], rgba[0, 0, 3, 1:6, 3:21])
    assert not torch.equal(out[0, 0, 3, 20:23, 8:30], rgba[0, 0, 3, 20:23, 8:30])
    seeded = _fit(rgba, frame, bg, mask, seed_alpha=0.02)  # what a lower seed would have done
    assert seeded[0, 0, 3, 3, 10] > 0.5


def test_fit_leaves_alpha_alone_where_colour_matches_what_is_behind():
    rgba, frame, bg, mask, _ = _scene()
    rgba = rgba.clone()
    rgba[0, 0, :3] = bg[0]  # the layer's colour says nothing about its alpha there
    out = _fit(rgba, frame, bg, mask)
    outside = ~torch.from_numpy(mask[0, 0])
    assert torch.equal(out[0, 0, 3][outside], rgba[0, 0, 3][outside])


def test_fit_lowers_alpha_where_the_blur_spread_it():
    rgba, frame, bg, mask, true_alpha = _scene()
    spill = (true_alpha[0, 0] == 0) & (rgba[0, 0, 3] > 0.05)
    assert spill.any()
    out = _fit(rgba, frame, bg, mask)
    assert out[0, 0, 3][spill].mean() < 0.3 * rgba[0, 0, 3][spill].mean()


def test_fit_sees_a_layer_through_the_layers_in_front():
    """A half-transparent layer in front of the shadow's left half shows only half of it: the
    fit must scale by what shows through, or it lands half-way there."""
    rgba, frame, bg, mask, true_alpha = _scene()
    front = torch.zeros_like(rgba)
    front[0, 0, :3] = 0.9
    front[0, 0, 3, :, :16] = 0.5
    frame = front[0, 0, 3:] * 0.9 + (1 - front[0, 0, 3:]) * frame
    masks = np.concatenate([mask, np.zeros_like(mask)])
    masks[1, 0, :, :16] = True  # the front layer's own alpha is not fitted
    out = _fit(torch.cat([rgba, front]), frame, bg, masks)
    band = out[0, 0, 3, 20:23]
    assert (band[:, 9:16] - 0.5).abs().max() < 0.05  # behind the front layer
    assert (band[:, 18:28] - 0.5).abs().max() < 0.05  # in the open
    assert torch.equal(out[1, 0, :, :, :16], front[0, 0, :, :, :16])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fit_keeps_dtype_and_range(dtype):
    rgba, frame, bg, mask, _ = _scene(seed=3)
    out = _fit(rgba.to(dtype), frame.to(dtype), bg.to(dtype), mask)
    assert out.dtype == dtype and out.shape == rgba.shape
    assert out.min() >= 0 and out.max() <= 1


def test_fit_fades_out_with_the_distance_from_an_effect():
    """Where the frame holds something the background lacks all around an effect (a moving
    sea), the fitted alpha fades with the distance: no hard-edged patch in the layer."""
    bg = torch.full((1, 3, H, W), 0.8)
    frame = bg * 0.5  # darker everywhere: no layer's business far from its effect
    rgba = torch.zeros(1, 1, 4, H, W)
    rgba[0, 0, 3, 14:18, 20:24] = 0.5  # the effect the model found
    mask = np.zeros((1, 1, H, W), bool)
    out = _fit(rgba, frame, bg, mask, reach=4)[0, 0, 3]
    row = out[16, 24:32]  # moving away from the effect's right edge
    assert row[0] > 0.3 and row[4] == 0
    assert (row[:-1] - row[1:] >= 0).all() and (row[:4] - row[1:5] > 0.05).all()


def test_where_the_background_is_still_the_fit_does_not_fade_within_reach():
    """The fade is for a moving background; over a still one (`still_noise` below a grey
    level) the step is taken in full up to `reach` pixels from the effect, and no further."""
    bg = torch.full((1, 3, H, W), 0.8)
    frame = bg * 0.5
    rgba = torch.zeros(1, 1, 4, H, W)
    rgba[0, 0, 3, 14:18, 20:24] = 0.5
    mask = np.zeros((1, 1, H, W), bool)
    still = np.zeros((H, W), np.float32)
    still[:, 26:] = 0.05  # the sea begins two pixels right of the effect
    row = _fit(rgba, frame, bg, mask, reach=4, still=still)[0, 0, 3, 16, 20:30]
    assert torch.allclose(row[:6], torch.full((6,), 0.5))  # the effect and its still margin
    assert 0 < row[6] < 0.5 and row[6] > row[7] > 0 and row[8] == 0  # fading over the sea


def test_two_overlapping_shadows_share_the_darkening():
    """Where two layers' shadows overlap the frame shows only their combined darkening; the
    layer in front must not take all that the blurred layers lack there."""
    g = torch.Generator().manual_seed(0)
    bg = 0.4 + 0.5 * torch.rand(1, 3, H, W, generator=g)
    true = torch.zeros(2, 1, H, W)
    true[0, :, 12:16, 4:28] = 0.4  # the back layer's shadow
    true[1, :, 12:16, 20:44] = 0.4  # the front layer's, over it on columns 20-27
    frame = (1 - true[1]) * ((1 - true[0]) * bg)
    rgba = torch.zeros(2, 1, 4, H, W)  # black shadows, blurred as a 4x smaller model gives
    for k in (0, 1):
        small = F.avg_pool2d(true[k][None], 4)
        rgba[k, 0, 3:] = F.interpolate(small, size=(H, W), mode="bilinear", align_corners=False)[0]
    masks = np.zeros((2, 1, H, W), bool)
    masks[0, 0, 4:16, 0:3], masks[1, 0, 4:16, 45:48] = True, True
    out = _fit(rgba, frame, bg, masks)[:, 0, 3, 12:16, 21:27]
    assert rgba[:, 0, 3, 12:16, 21:27].mean() < 0.3  # both blurred below the truth
    assert (out - 0.4).abs().max() < 0.05  # both near their truth (in front alone: 0.49)


def test_a_faint_layer_takes_a_small_share_where_a_strong_one_holds_the_effect():
    """Shares follow alpha: a layer that holds a shadow at 0.4 takes nearly all of the step
    there, one with a faint 0.06 (the edge of its own blurred effect) a seventh of it."""
    bg = torch.full((1, 3, H, W), 0.8)
    rgba = torch.zeros(2, 1, 4, H, W)  # black layers
    rgba[0, 0, 3, 10:20, 10:30] = 0.4
    rgba[1, 0, 3, 10:20, 10:30] = 0.06
    frame = bg * (1 - 0.55)  # darker than both give (0.436): each must rise
    masks = np.zeros((2, 1, H, W), bool)
    out = _fit(rgba, frame, bg, masks)[:, 0, 3, 15, 20]
    rise = out - rgba[:, 0, 3, 15, 20]
    assert rise[0] > 0 and rise[1] > 0
    assert rise[0] / rise[1] == pytest.approx(0.4 * 0.94 / (0.06 * 0.6), rel=0.05)


def test_fit_leaves_another_objects_edge_and_detail_alone():
    """Object B's mask is drawn a pixel short: its edge differs from the plate just outside the
    mask; and B's layer has a blurred colour. Layer A, in front, has a faint haze there; the fit
    must give A neither B's edge nor B's detail."""
    bg = torch.full((1, 3, H, W), 0.8)
    frame = bg.clone()
    frame[..., 8:25, 19:29] = 0.1  # B's body, one pixel wider than its mask all round
    masks = np.zeros((2, 1, H, W), bool)
    masks[1, 0, 9:24, 20:28] = True
    rgba = torch.zeros(2, 1, 4, H, W)
    frame[..., 12:16, 22:26] = 0.6  # a light patch on B (a hat) that B's blurred colour lacks
    rgba[1, 0, :3], rgba[1, 0, 3] = 0.1, torch.from_numpy(masks[1, 0]).float()
    rgba[0, 0, :3], rgba[0, 0, 3] = 0.9, 0.06  # A: a light haze everywhere, in front of B
    out = _fit(torch.stack([rgba[1], rgba[0]]), frame, bg, masks[::-1].copy())  # B behind A
    assert torch.equal(out[1, 0, 3, 6:27, 17:31], torch.full((21, 14), 0.06))
    assert out[1, 0, 3, 2, 2] < 0.06  # elsewhere the fit works as before (lowers the haze)
