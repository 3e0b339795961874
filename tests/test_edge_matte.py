"""Each object's soft rim outside its binary mask, matted (omnigame.io.edge_matte)."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from omnigame.io.edge_matte import matte_edges, shape_prior

H, W = 40, 64
COLOUR = torch.tensor([0.9, 0.2, 0.1])


def _disc(cy, cx, radius, ramp=2.5):
    """(H, W) alpha of a disc whose edge falls off linearly over `ramp` pixels."""
    y, x = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing="ij")
    return ((radius - ((y - cy) ** 2 + (x - cx) ** 2).sqrt()) / ramp + 0.5).clamp(0, 1)


def _scene(seed=0, dtype=torch.float32):
    """A red disc with a soft edge over a textured plate; the mask is its alpha cut at 50%,
    and the layer is what `sharpen_alpha` gives: opaque inside the mask, nothing outside."""
    g = torch.Generator().manual_seed(seed)
    bg = (0.3 + 0.5 * torch.rand(1, 3, H, W, generator=g)).to(dtype)
    alpha = _disc(20, 24, 9).to(dtype)
    frame = alpha * COLOUR.to(dtype)[:, None, None] + (1 - alpha) * bg
    masks = (alpha > 0.5).numpy()[None, None]
    rgba = torch.zeros(1, 1, 4, H, W, dtype=dtype)
    rgba[0, 0, :3] = frame[0]
    rgba[0, 0, 3] = torch.from_numpy(masks[0, 0]).to(dtype)
    return rgba, frame, bg, masks, alpha


def _matte(rgba, frame, bg, masks, **kw):
    order = torch.arange(rgba.shape[0])[None]
    return matte_edges(rgba, frame, bg, order, masks, **kw)


def _composite(rgba, bg):
    out = bg[0]
    for layer in rgba[:, 0]:
        out = layer[3:] * layer[:3] + (1 - layer[3:]) * out
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_rim_outside_the_mask_gets_the_objects_alpha(dtype):
    rgba, frame, bg, masks, alpha = _scene(dtype=dtype)
    # the object's colour from inside its edge; a weak prior, so the colours decide
    out = _matte(rgba, frame, bg, masks, inset=2, prior_weight=0.01)
    rim = (alpha > 0.05) & ~torch.from_numpy(masks[0, 0])
    assert rim.sum() > 30
    assert (out[0, 0, 3][rim] - alpha[rim]).abs().max() < 0.1  # the true soft edge
    assert rgba[0, 0, 3][rim].max() == 0  # which the layer did not have
    before = (_composite(rgba, bg) - frame[0]).abs()[:, rim].mean()
    after = (_composite(out, bg) - frame[0]).abs()[:, rim].mean()
    assert after < 0.1 * before
    inside = torch.from_numpy(masks[0, 0])
    assert torch.equal(out[0, 0][:, inside], rgba[0, 0][:, inside])  # the object is kept
    far = _disc(20, 24, 9 + 4, ramp=0.01) == 0
    assert torch.equal(out[0, 0][:, far], rgba[0, 0][:, far])  # and beyond the band, nothing


def test_the_default_prior_keeps_the_alpha_close_and_gives_the_frame_back():
    rgba, frame, bg, masks, alpha = _scene()
    out = _matte(rgba, frame, bg, masks, inset=2)
    rim = (alpha > 0.05) & ~torch.from_numpy(masks[0, 0])
    error = (out[0, 0, 3][rim] - alpha[rim]).abs()
    assert error.mean() < 0.06 and error.max() < 0.2
    # the colour is solved for at that alpha, so the composite is the frame (to within where
    # that colour would leave [0, 1])
    residual = (_composite(out, bg) - frame[0]).abs()[:, rim]
    assert residual.mean() < 2e-3 and residual.max() < 0.03


def test_by_default_the_rim_takes_the_colour_of_the_masks_own_edge():
    rgba, frame, bg, masks, alpha = _scene()
    out = _matte(rgba, frame, bg, masks)
    rim = (alpha > 0.05) & ~torch.from_numpy(masks[0, 0])
    assert (out[0, 0, 3][rim] - alpha[rim]).abs().mean() < 0.08
    assert (_composite(out, bg) - frame[0]).abs()[:, rim].mean() < 0.01


def test_a_glint_on_the_outline_does_not_set_the_rim_beside_it():
    rgba, frame, bg, masks, alpha = _scene()
    outline = masks[0, 0] & ~ndimage.binary_erosion(masks[0, 0])
    x = int(np.nonzero(outline[20])[0].max())  # the disc's right edge, middle row
    assert not masks[0, 0, 20, x + 1] and alpha[20, x + 1] == 0.5
    frame[0, :, 20, x] = torch.tensor([0.2, 0.9, 0.9])  # one pixel far from the object's red
    rgba[0, 0, :3] = frame[0]
    out = _matte(rgba, frame, bg, masks)
    # the outline's colour around it decides the rim (from the glint alone alpha would be 0)
    assert abs(out[0, 0, 3, 20, x + 1] - 0.5) < 0.2


def test_a_mask_drawn_too_loose_shows_no_rim():
    rgba, frame, bg, masks, alpha = _scene()
    loose = (_disc(20, 24, 9 + 4) > 0.5).numpy()[None, None]  # 4 px past the object
    rgba[0, 0, 3] = torch.from_numpy(loose[0, 0]).float()
    out = _matte(rgba, frame, bg, loose)
    band = ~torch.from_numpy(loose[0, 0]) & (_disc(20, 24, 9 + 6, ramp=0.01) > 0)
    # the band is background, which the empty layer already explains: it stays empty
    assert out[0, 0, 3][band].max() == 0
    assert (_composite(out, bg) - frame[0]).abs()[:, band].max() < 1e-6
    # with a little noise on the frame the prior acts there, but in the background's colour
    noisy = frame + 0.004 * torch.randn(frame.shape, generator=torch.Generator().manual_seed(1))
    out = _matte(rgba, noisy, bg, loose)
    bound = shape_prior(loose[0, 0]).max()  # the prior, no more (a staircase has notches)
    assert out[0, 0, 3][band].max() <= bound + 1e-3 and out[0, 0, 3][band].max() > 0.1
    shown = out[0, 0, 3] * (out[0, 0, :3] - bg[0]).abs().amax(0)  # over a new background
    assert shown[band].max() < 0.02  # the frame's noise, no more


def test_the_rim_near_another_objects_mask_is_left_to_it():
    rgba, frame, bg, masks, alpha = _scene()
    other = np.zeros_like(masks)
    other[0, 0, :, 33:] = True  # another object just right of the disc's rim
    both = np.concatenate([masks, other])
    layers = torch.cat([rgba, torch.zeros_like(rgba)])
    layers[1, 0, 3] = torch.from_numpy(other[0, 0]).float()
    out = _matte(layers, frame, bg, both, inset=2)
    rim = (alpha > 0.05) & ~torch.from_numpy(masks[0, 0])
    right, left = rim.clone(), rim.clone()
    right[:, :31], left[:, 24:] = False, False
    assert right.any() and out[0, 0, 3][right].max() == 0
    assert (out[0, 0, 3][left] - alpha[left]).abs().max() < 0.1


def test_a_shadow_the_layer_explains_better_stays_a_shadow():
    rgba, frame, bg, masks, alpha = _scene()
    shade = torch.zeros(H, W)
    shade[30:33, 10:40] = 0.5  # a shadow along the disc's foot, through its rim
    shade[torch.from_numpy(masks[0, 0])] = 0
    frame = (1 - shade) * frame
    rgba[0, 0, :3] = torch.where(shade > 0, 0.0, rgba[0, 0, :3])
    rgba[0, 0, 3] = torch.where(shade > 0, shade, rgba[0, 0, 3])
    out = _matte(rgba, frame, bg, masks)
    held = (shade > 0) & (alpha < 0.05)
    # where the object's edge is (almost) absent, the shadow is kept as the layer had it
    assert (out[0, 0][:, held] - rgba[0, 0][:, held]).abs().max() < 0.03


def test_the_rim_over_the_objects_own_shadow_holds_both():
    rgba, frame, bg, masks, alpha = _scene()
    shade = torch.zeros(H, W)
    shade[24:, :] = 0.5  # the disc stands in its own shadow, which runs under its lower rim
    inside = torch.from_numpy(masks[0, 0])
    frame = alpha * COLOUR[:, None, None] + (1 - alpha) * (1 - shade) * bg
    # the layer as the fits leave it: the object inside, its black shadow outside, and in
    # the rim the shadow's alpha alone (the edge not matted yet)
    rgba[0, 0, :3] = torch.where(inside, frame[0], torch.zeros(3, 1, 1))
    rgba[0, 0, 3] = torch.where(inside, 1.0, shade)
    out = _matte(rgba, frame, bg, masks, inset=2, prior_weight=0.01)
    rim = (alpha > 0.05) & ~inside & (shade > 0)
    rim[24:26] = False  # the shadow's own top edge is in the window beyond
    assert rim.sum() > 10
    true = alpha + (1 - alpha) * shade  # the edge over the shadow
    assert (out[0, 0, 3][rim] - true[rim]).abs().max() < 0.1
    assert (_composite(out, bg) - frame[0]).abs()[:, rim].mean() < 0.01


def test_where_colour_cannot_tell_the_rim_takes_the_shapes_prior():
    # a square: straight edges and convex corners; colour and plate 0.02 apart: undetermined
    masks = np.zeros((1, 1, H, W), bool)
    masks[0, 0, 10:30, 20:40] = True
    grey = torch.full((1, 3, H, W), 0.5)
    frame = grey.clone()
    frame[0, :, 10:30, 20:40] = 0.52
    frame[0, :, 9, 20:40] = 0.505  # a 25% rim along the top edge, one pixel high
    rgba = torch.zeros(1, 1, 4, H, W)
    rgba[0, 0, :3], rgba[0, 0, 3] = frame[0], torch.from_numpy(masks[0, 0]).float()
    matted = _matte(rgba, frame, grey, masks, prior=0.25)
    out = matted[0, 0, 3]
    straight = out[9, 24:36]  # the neighbours along the top edge, away from the corners
    assert (straight - 0.25).abs().max() < 0.01
    assert out[9, 19] < 0.1  # the pixel that touches the square only at its corner
    assert out[7, 24:36].max() < 0.01  # two pixels out: no prior
    assert (_composite(matted, grey) - frame[0]).abs().max() < 1e-3  # the frame given back


def test_the_shape_prior_is_prior_on_a_straight_edge_less_at_corners_more_in_notches():
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    mask[9:11, 14] = False  # a notch two pixels deep into the right edge
    a0 = shape_prior(mask, 0.25)
    assert a0[mask].max() == 0
    assert abs(a0[4, 10] - 0.25) < 0.01  # top edge's neighbour
    assert a0[4, 4] < 0.1  # the corner's diagonal neighbour
    assert a0[9, 14] > 0.3  # inside the notch, mostly surrounded by the object
    assert a0[2, 10] < 0.01


def test_a_look_alike_beyond_the_band_is_not_taken():
    rgba, frame, bg, masks, alpha = _scene()
    frame[0, :, 18:22, 40:44] = COLOUR[:, None, None]  # red, 7 px right of the disc's mask
    out = _matte(rgba, frame, bg, masks)
    assert out[0, 0, 3, 18:22, 40:44].max() == 0
    assert out[0, 0, 3, 18:22, 30:34].max() > 0.3  # while its rim, within the band, is matted
