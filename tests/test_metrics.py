"""Metrics on constructed cases whose answers are known by hand."""
import logging
import math

import numpy as np
import pytest
import scipy.linalg
import torch
from scipy.ndimage import gaussian_filter

from omnigame.evaluation import frechet, metrics, warping

H, W = 32, 48
GREY = 128


def disc(cy, cx, r, h=H, w=W):
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2


def ellipse(cy, cx, ry, rx, h=H, w=W):
    yy, xx = np.mgrid[:h, :w]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def layer_from(regions, n=2, h=H, w=W):
    """(N, H, W, 4) uint8 layer; regions: list of (bool mask, rgb, alpha 0..255), painted in order."""
    out = np.zeros((n, h, w, 4), np.uint8)
    for region, rgb, alpha in regions:
        out[:, region] = (*rgb, alpha)
    return out


# --------------------------------------------------------------------------- PSNR / SSIM

@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_psnr_identical_is_capped(dtype):
    a = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype(dtype)
    assert metrics.psnr(a, a.copy()) == metrics.PSNR_CAP_DB == 100.0


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_psnr_known_value(dtype):
    a = np.zeros((2, 8, 8, 3), dtype)
    b = np.full((2, 8, 8, 3), 10, dtype)  # MSE = 100
    assert metrics.psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 / 100))
    assert metrics.psnr(a / 255.0, b / 255.0, max_value=1.0) == pytest.approx(
        10 * math.log10(255 ** 2 / 100))


def test_psnr_mask_ignores_pixels_outside():
    a = np.zeros((1, 4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 200
    mask = np.ones((1, 4, 4), bool)
    mask[0, 0, 0] = False
    assert metrics.psnr(a, b, mask=mask) == 100.0
    # one wrong pixel out of 16, all 3 channels off by 200
    assert metrics.psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 / (200 ** 2 / 16)))
    assert math.isnan(metrics.psnr(a, b, mask=np.zeros((1, 4, 4))))


def test_psnr_per_frame():
    a = np.zeros((3, 4, 4, 3), np.uint8)
    b = a.copy()
    b[1] = 10
    values = metrics.psnr_per_frame(a, b)
    assert values[0] == values[2] == 100.0
    assert values[1] == pytest.approx(10 * math.log10(255 ** 2 / 100))


def test_ssim_identical_and_noisy():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (2, 16, 16, 3)).astype(np.uint8)
    assert metrics.ssim(a, a.copy()) == pytest.approx(1.0)
    noisy = np.clip(a + rng.normal(0, 40, a.shape), 0, 255).astype(np.uint8)
    assert metrics.ssim(a, noisy) < 0.9
    small = a[:, :4, :5]  # smaller than the 7x7 window: uses a 3x3 one
    assert metrics.ssim(small, small.copy()) == pytest.approx(1.0)


# --------------------------------------------------------------------------- effect IoU

OBJECT = disc(10, 14, 6)
SHADOW = ellipse(24, 30, 4, 12) & ~OBJECT
BG = np.full((H, W, 3), GREY, np.uint8)
GT = ((OBJECT | SHADOW) * 255).astype(np.uint8)[None].repeat(2, 0)


def test_shapes_of_the_constructed_scene_do_not_overlap():
    assert OBJECT.sum() > 50 and SHADOW.sum() > 50 and not (OBJECT & SHADOW).any()


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_effect_iou_perfect_layer_is_one(dtype):
    full = layer_from([(OBJECT, (255, 0, 0), 255), (SHADOW, (0, 0, 0), 128)]).astype(dtype)
    assert metrics.effect_iou(full, BG, GT.astype(dtype)) == pytest.approx(1.0)


def test_effect_iou_missing_shadow_loses_the_shadow_share():
    no_shadow = layer_from([(OBJECT, (255, 0, 0), 255)])
    expected = OBJECT.sum() / (OBJECT | SHADOW).sum()
    assert metrics.effect_iou(no_shadow, BG, GT) == pytest.approx(expected)
    assert expected < 0.6  # the shadow is a real share of the union here


def test_effect_iou_rectangles_by_hand():
    obj = np.zeros((H, W), bool)
    obj[2:12, 2:12] = True  # 100 px
    shadow = np.zeros((H, W), bool)
    shadow[20:24, 10:30] = True  # 80 px
    gt = ((obj | shadow) * 255).astype(np.uint8)[None]
    layer = layer_from([(obj, (0, 255, 0), 255)], n=1)
    assert metrics.effect_iou(layer, BG, gt) == pytest.approx(100 / 180)
    # 2x downscale of block-aligned shapes is exact with bilinear sampling: same ratio
    assert metrics.effect_iou(layer, BG, gt, size=(H // 2, W // 2)) == pytest.approx(100 / 180)


@pytest.mark.parametrize("alpha, rgb, inside", [
    (8, (255, 0, 0), True),       # one channel off by 8: 64 > 63.75
    (7, (255, 0, 0), False),      # off by 7: 49 < 63.75
    (5, (255, 255, 255), True),   # three channels off by 5: 75 > 63.75 (each alone 25 is not)
    (4, (255, 255, 255), False),  # 3 * 16 = 48
])
def test_effect_iou_threshold_is_on_squared_rgb_sum(alpha, rgb, inside):
    bg = np.zeros((4, 4, 3), np.uint8)
    layer = np.zeros((1, 4, 4, 4), np.uint8)
    layer[0, 1, 1] = (*rgb, alpha)
    gt = np.zeros((1, 4, 4), np.uint8)
    gt[0, 1, 1] = 255
    assert metrics.effect_iou(layer, bg, gt) == (1.0 if inside else 0.0)


def test_effect_iou_soft_ground_truth_and_all_frames_together():
    bg = np.zeros((4, 4, 3), np.uint8)
    layer = np.zeros((2, 4, 4, 4), np.uint8)
    layer[0, :2, :2] = 255  # frame 0: 4 px predicted
    gt = np.zeros((2, 4, 4), np.uint8)
    gt[0, :2, :2] = 255
    gt[1, :2, :] = 255  # frame 1: 8 px missed
    # pooled over frames: 4 / 12, not the mean of per-frame IoUs (1 + 0) / 2
    assert metrics.effect_iou(layer, bg, gt) == pytest.approx(4 / 12)
    gt_soft = np.zeros((1, 4, 4), np.uint8)
    gt_soft[0, :2, :2] = 51  # G = 0.2 where D = 1
    assert metrics.effect_iou(layer[:1], bg, gt_soft) == pytest.approx(0.2 * 4 / 4)


def test_effect_iou_objects_and_empty_object():
    full = layer_from([(OBJECT, (255, 0, 0), 255), (SHADOW, (0, 0, 0), 128)])
    empty = np.zeros_like(full)
    out = metrics.effect_iou_objects(np.stack([full, empty]), BG, np.stack([GT, np.zeros_like(GT)]))
    assert out["per_object"][0] == pytest.approx(1.0)
    assert math.isnan(out["per_object"][1])
    assert out["mean"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- alpha / RGBA

@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_alpha_error(dtype):
    peak = 255 if dtype == np.uint8 else 1.0
    true = np.zeros((2, 3, 4, 4), dtype)
    pred = true.copy()
    pred[..., :2, :2] = peak  # a quarter of the pixels fully wrong
    assert metrics.alpha_error(pred, true) == pytest.approx(0.25)
    assert metrics.alpha_error(true, true) == 0.0


def test_rgba_psnr_premultiplied():
    true = np.zeros((2, 4, 4, 4), np.float64)
    true[..., :3] = 1.0
    true[..., 3] = 0.6
    pred = true.copy()
    pred[..., 3] = 0.5  # premultiplied colour and alpha each off by 0.1: MSE 0.01
    assert metrics.rgba_psnr(pred, true) == pytest.approx(20.0)
    invisible = true.copy()
    invisible[..., 3] = 0.0
    other_colour = invisible.copy()
    other_colour[..., :3] = 0.3
    assert metrics.rgba_psnr(other_colour, invisible) == 100.0  # colour under alpha 0 is ignored
    u8 = (true * 255).round().astype(np.uint8)
    assert metrics.rgba_psnr(u8, u8.copy()) == 100.0


# --------------------------------------------------------------------------- association

OTHER = disc(8, 38, 5)


def association_case(shadow_in):
    """True alpha: object 0 = OBJECT + SHADOW (0.5), object 1 = OTHER. Shadow placed per shadow_in."""
    true = np.zeros((2, 1, H, W))
    true[0, 0][OBJECT] = 1.0
    true[0, 0][SHADOW] = 0.5
    true[1, 0][OTHER] = 1.0
    masks = np.stack([OBJECT, OTHER])[:, None]
    pred = true.copy()
    pred[0, 0][SHADOW] = 0.5 if 0 in shadow_in else 0.0
    pred[1, 0][SHADOW] = 0.5 if 1 in shadow_in else 0.0
    return pred, true, masks


@pytest.mark.parametrize("shadow_in, expected", [((0,), 1.0), ((), 0.0), ((1,), 0.0), ((0, 1), 0.5)])
def test_association_accuracy(shadow_in, expected):
    pred, true, masks = association_case(shadow_in)
    out = metrics.association_accuracy(pred, true, masks)
    assert out["per_object"][0] == pytest.approx(expected)
    assert math.isnan(out["per_object"][1])  # object 1 has no effect
    assert out["mean"] == pytest.approx(expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_association_accuracy_half_shadow(dtype):
    pred, true, masks = association_case((0,))
    half = SHADOW & (np.arange(W) < 30)[None, :]
    pred[0, 0][half] = 0.0
    if dtype == np.uint8:
        pred, true = (np.round(x * 255).astype(np.uint8) for x in (pred, true))
    out = metrics.association_accuracy(pred, true, masks)
    assert out["per_object"][0] == pytest.approx(1 - half.sum() / SHADOW.sum(), abs=1e-6)


# --------------------------------------------------------------------------- warping error

def moving_square(rgb=(255, 255, 255), alpha=255, n=3, h=8, w=16, step=2):
    """(n, h, w, 4) uint8: a 4x4 square starting at column 1, moving `step` px right per frame."""
    video = np.zeros((n, h, w, 4), np.uint8)
    for t in range(n):
        video[t, 2:6, 1 + step * t:5 + step * t] = (*rgb, alpha)
    return video


def constant_flow(n, h, w, dy, dx):
    flow = np.zeros((n - 1, 2, h, w), np.float32)
    flow[:, 0], flow[:, 1] = dy, dx
    return flow


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_warping_error_known_shift(dtype):
    video = moving_square()
    if dtype != np.uint8:
        video = video.astype(dtype) / 255
    matching = constant_flow(3, 8, 16, 0, 2)
    assert warping.warping_error(video, matching) == pytest.approx(0.0, abs=1e-9)
    # zero flow: per pair, 4 columns x 4 rows = 16 of 128 pixels differ by 1 in all 4 channels
    assert warping.warping_error(video, constant_flow(3, 8, 16, 0, 0)) == pytest.approx(16 / 128)


def test_warping_error_uses_premultiplied_colour():
    video = moving_square(rgb=(255, 0, 0), alpha=128)
    a = 128 / 255  # premultiplied (a, 0, 0, a): mean over 4 channels of a changed pixel is a / 2
    assert warping.warping_error(video, constant_flow(3, 8, 16, 0, 0)) == pytest.approx(16 / 128 * a / 2)


def test_warping_valid_pixels_bounds_and_consistency():
    fwd = constant_flow(2, 8, 16, 0, 2)
    valid = warping.valid_pixels(fwd)
    assert valid[0, :, :14].all() and not valid[0, :, 14:].any()  # x + 2 must stay <= 15
    assert warping.consistent(fwd, -fwd)[0, :, :14].all()
    assert not warping.consistent(fwd, np.zeros_like(fwd)).any()  # |2|^2 > 0.01 * 4 + 0.5


def test_estimated_flow_recovers_a_shift():
    rng = np.random.default_rng(0)
    texture = gaussian_filter(rng.random((32, 40)), 1.5)
    texture = (255 * (texture - texture.min()) / np.ptp(texture)).astype(np.uint8)
    frames = np.stack([np.roll(texture, 2 * t, axis=1) for t in range(3)])[..., None].repeat(3, -1)
    flow = warping.estimate_flow(frames)
    assert flow.shape == (2, 2, 32, 40)
    assert np.median(flow[:, 1, 8:-8, 8:-8]) == pytest.approx(2.0, abs=0.25)
    backward = warping.estimate_flow(frames, backward=True)
    assert np.median(backward[:, 1, 8:-8, 8:-8]) == pytest.approx(-2.0, abs=0.25)
    still = warping.warping_error(frames, np.zeros_like(flow))
    assert warping.warping_error(frames, flow, backward) < 0.3 * still


# --------------------------------------------------------------------------- Fréchet distance / FVD

def random_spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def test_frechet_identical_is_zero():
    mu, sigma = np.arange(4.0), random_spd(4, 0)
    assert frechet.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_frechet_scalar_and_diagonal_closed_form():
    # N(1, 2^2) vs N(4, 0.5^2): (1 - 4)^2 + (2 - 0.5)^2
    assert frechet.frechet_distance(np.array([1.0]), np.array([[4.0]]),
                                    np.array([4.0]), np.array([[0.25]])) == pytest.approx(11.25)
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    expected = ((mu1 - mu2) ** 2).sum() + ((s1 - s2) ** 2).sum()
    assert frechet.frechet_distance(mu1, np.diag(s1 ** 2), mu2, np.diag(s2 ** 2)) == pytest.approx(expected)


def test_frechet_full_covariances_match_symmetric_formula():
    s1, s2 = random_spd(3, 1), random_spd(3, 2)
    root1 = scipy.linalg.sqrtm(s1).real
    expected = np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(root1 @ s2 @ root1).real)
    assert frechet.frechet_distance(np.zeros(3), s1, np.zeros(3), s2) == pytest.approx(expected, rel=1e-6)


def test_frechet_singular_covariances():
    zero = np.zeros((2, 2))
    assert frechet.frechet_distance(np.zeros(2), zero, np.array([3.0, 4.0]), zero) == pytest.approx(25.0)


class ChannelMean(torch.nn.Module):
    def forward(self, x):  # (1, 3, T, H, W) -> (1, 3)
        return x.mean(dim=(2, 3, 4))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", ["torchscript", "export"])
def test_fvd_with_a_saved_extractor(tmp_path, kind):
    if kind == "torchscript":
        path = str(tmp_path / "extractor.pt")
        torch.jit.save(torch.jit.script(ChannelMean()), path)
    else:
        path = str(tmp_path / "extractor.pt2")
        example = (torch.zeros(1, 3, 2, 4, 4),)
        torch.export.save(torch.export.export(ChannelMean(), example), path)
    colours = np.random.default_rng(0).integers(60, 190, (6, 3))
    videos = [np.broadcast_to(c, (2, 4, 4, 3)).astype(np.uint8) for c in colours]
    feats = frechet.features_from_torchscript(path, videos)
    np.testing.assert_allclose(feats, colours / 127.5 - 1.0, atol=1e-6)
    assert frechet.frechet_video_distance(videos, videos, path) == pytest.approx(0.0, abs=1e-6)
    brighter = [v + 51 for v in videos]  # every feature moves by 51 / 127.5 = 0.4; covariance unchanged
    assert frechet.frechet_video_distance(videos, brighter, path) == pytest.approx(3 * 0.4 ** 2, rel=1e-4)


def test_fvd_without_extractor_is_none_and_says_why(caplog):
    video = np.zeros((2, 4, 4, 3), np.uint8)
    with caplog.at_level(logging.INFO, logger="omnigame.evaluation.frechet"):
        assert frechet.frechet_video_distance([video, video], [video, video]) is None
    assert "I3D" in caplog.text


def test_streamed_warping_errors_equal_the_whole_video_computation():
    rng = np.random.default_rng(0)
    frames = (rng.random((7, 12, 16, 3)) * 255).astype(np.uint8)
    layer = moving_square(n=7, h=12, w=16, step=1)
    forward = warping.estimate_flow(frames, "ilk")
    valid = warping.valid_pixels(forward, warping.estimate_flow(frames, "ilk", backward=True))
    errors, fraction = warping.warping_errors({"layer": layer, "input": frames}, frames, "ilk",
                                              chunk=2)  # 6 pairs in chunks of 2
    assert errors["layer"] == pytest.approx(warping.warping_error(layer, forward, valid=valid))
    assert errors["input"] == pytest.approx(warping.warping_error(frames, forward, valid=valid))
    assert fraction == pytest.approx(valid.mean())


def test_psnr_in_chunks_equals_the_formula():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (19, 5, 6, 3)).astype(np.uint8)  # 19 frames: chunks of 8, 8, 3
    b = rng.integers(0, 256, (19, 5, 6, 3)).astype(np.uint8)
    mask = rng.random((19, 5, 6)) > 0.5
    mse = ((a.astype(float) - b) ** 2)[mask].mean()
    assert metrics.psnr(a, b, mask=mask) == pytest.approx(10 * np.log10(255 ** 2 / mse))
    mse = ((a.astype(float) - b) ** 2).mean()
    assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(255 ** 2 / mse))
