"""The darkening no layer explains, given to the layer it touches (omnigame.io.shadow_grow)."""
import numpy as np
import pytest
import torch

from omnigame.io.shadow_grow import grow_shadows, still_noise

H, W = 32, 64


def _scene(seed=0, objects=1, ground=(0.3, 0.9)):
    """A textured plate (values in `ground`); object k (a grey block) casts a long black shadow
    of alpha 0.4 that starts at its feet; the layers hold the objects and none of their shadows
    (what a model that missed them gives)."""
    g = torch.Generator().manual_seed(seed)
    bg = ground[0] + (ground[1] - ground[0]) * torch.rand(1, 3, H, W, generator=g)
    masks = np.zeros((objects, 1, H, W), bool)
    rgba = torch.zeros(objects, 1, 4, H, W)
    shadow = torch.zeros(objects, H, W)
    frame = bg.clone()
    for k in range(objects):
        x = 10 + 30 * k
        masks[k, 0, 8:20, x:x + 4] = True
        shadow[k, 18:20, x + 4:x + 20] = 0.4  # along the ground, away from the object
        rgba[k, 0, :3] = 0.2
        rgba[k, 0, 3] = torch.from_numpy(masks[k, 0]).float()
        frame = (1 - shadow[k]) * frame
        frame = torch.where(torch.from_numpy(masks[k, 0]), torch.full_like(frame, 0.2), frame)
    return rgba, frame, bg, masks, shadow


def _grow(rgba, frame, bg, masks, **kw):
    order = torch.arange(rgba.shape[0])[None]
    return grow_shadows(rgba, frame, bg, order, masks, **kw)


def _composite(rgba, bg):
    out = bg[0]
    for layer in rgba[:, 0]:
        out = layer[3:] * layer[:3] + (1 - layer[3:]) * out
    return out


def test_grow_takes_a_missed_shadow_into_its_objects_layer():
    rgba, frame, bg, masks, shadow = _scene()
    out = _grow(rgba, frame, bg, masks)
    on = shadow[0] > 0
    assert torch.allclose(out[0, 0, 3][on], shadow[0][on], atol=0.02)
    assert (out[0, 0, :3, on] < 0.05).all()  # a shadow's colour: black
    assert (_composite(out, bg) - frame[0]).abs().max() < 0.01  # now explained
    assert (_composite(rgba, bg) - frame[0]).abs().max() > 0.2  # and was not before
    inside = torch.from_numpy(masks[0, 0])
    assert torch.equal(out[0, 0][:, inside], rgba[0, 0][:, inside])  # the object is kept


def test_grow_takes_a_shadow_on_dark_ground_too():
    # plate 0.06-0.12: the shadow darkens it by 0.024-0.048, mostly under the 0.04 that counts
    # on ground of mid-grey and brighter (probe seed 3's shadow on a near-black photo)
    rgba, frame, bg, masks, shadow = _scene(ground=(0.06, 0.12))
    out = _grow(rgba, frame, bg, masks)
    on = shadow[0] > 0
    assert torch.allclose(out[0, 0, 3][on], shadow[0][on], atol=0.05)
    assert (_composite(out, bg) - frame[0]).abs().max() < 0.01


def test_grow_gives_each_shadow_to_the_object_it_touches():
    rgba, frame, bg, masks, shadow = _scene(objects=2)
    out = _grow(rgba, frame, bg, masks)
    for k in range(2):
        mine, theirs = shadow[k] > 0, shadow[1 - k] > 0
        assert out[k, 0, 3][mine].min() > 0.35
        assert out[k, 0, 3][theirs].max() == 0


def test_grow_leaves_a_brightening_to_the_background():
    """Foam or glare at an object's feet makes the frame brighter: not a shadow."""
    rgba, _, bg, masks, shadow = _scene()
    frame = torch.where(shadow[0] > 0, 0.5 * bg + 0.5, bg)
    frame = torch.where(torch.from_numpy(masks[0, 0]), torch.full_like(frame, 0.2), frame)
    out = _grow(rgba, frame, bg, masks)
    assert torch.equal(out, rgba)


def test_grow_leaves_a_darkening_that_touches_no_object_alone():
    rgba, _, bg, masks, _ = _scene()
    frame = bg.clone()
    frame[..., 26:30, 40:60] *= 0.5  # a cloud's shadow, far from the object
    frame = torch.where(torch.from_numpy(masks[0, 0]), torch.full_like(frame, 0.2), frame)
    out = _grow(rgba, frame, bg, masks)
    assert torch.equal(out, rgba)


def test_grow_raises_its_bar_with_the_frames_noise():
    """A faint darkening (6% of full scale) is a shadow on a clean frame, but noise of the same
    size everywhere else (a moving sea, compression) means it is not to be trusted."""
    rgba, _, bg, masks, shadow = _scene()
    faint = torch.where(shadow[0] > 0, 0.15 * torch.ones(()), torch.zeros(()))
    clean = bg * (1 - faint)
    g = torch.Generator().manual_seed(1)
    noisy = clean + 0.05 * torch.randn(clean.shape, generator=g).abs() * (faint == 0)
    for frame, taken in ((clean, True), (noisy, False)):
        frame = torch.where(torch.from_numpy(masks[0, 0]), torch.full_like(frame, 0.2), frame)
        out = _grow(rgba, frame, bg, masks)
        assert (out[0, 0, 3][shadow[0] > 0].mean() > 0.1) == taken


def test_grow_skips_what_a_layer_in_front_mostly_hides():
    """Behind a layer of alpha 0.7 (smoke, say) little of the frame is the shadow's doing."""
    rgba, frame, bg, masks, shadow = _scene()
    front = torch.zeros(1, 1, 4, H, W)
    front[0, 0, :3] = 0.7
    front[0, 0, 3, 16:22, 14:24] = 0.7
    frame = front[0, 0, 3:] * 0.7 + (1 - front[0, 0, 3:]) * frame
    both = torch.cat([rgba, front])
    # level 0.8: the front layer's 0.7 neither holds those pixels nor claims the shadow
    out = _grow(both, frame, bg, np.concatenate([masks, np.zeros_like(masks)]), level=0.8)
    assert torch.equal(out[0, 0, 3, 16:22, 14:24], rgba[0, 0, 3, 16:22, 14:24])
    assert out[0, 0, 3, 18:20, 26:30].min() > 0.35  # the part in the open is taken


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_grow_keeps_dtype_and_range(dtype):
    rgba, frame, bg, masks, _ = _scene()
    out = _grow(rgba.to(dtype), frame.to(dtype), bg.to(dtype), masks)
    assert out.dtype == dtype and out.shape == rgba.shape
    assert out.min() >= 0 and out.max() <= 1


def _reflection_scene(waves: bool):
    """Over 8 frames, a pale change (30% of the way to white) beside the object in frame 0
    only; with `waves`, the same pixels also differ from the plate in every other frame (a
    moving sea). Beside, not below: below the object is where its reflection can be, and
    there a smaller change counts (`test_grow_takes_a_faint_change_where_...`)."""
    rgba, _, bg, masks, _ = _scene()
    n = 8
    frames = bg.repeat(n, 1, 1, 1)
    spot = torch.zeros(H, W, dtype=torch.bool)
    spot[10:16, 14:18] = True  # just right of the object (x 10-13, rows 8-19)
    frames[0] = torch.where(spot, bg[0] + 0.3 * (1 - bg[0]), bg[0])
    if waves:
        g = torch.Generator().manual_seed(2)
        sea = 0.3 * (1 - bg[0]) * torch.rand(n - 1, 3, H, W, generator=g)
        frames[1:] = torch.where(spot, bg[0] + sea, bg[0])
    inside = torch.from_numpy(masks[0, 0])
    frames = torch.where(inside, torch.full_like(frames, 0.2), frames)
    all_masks = np.repeat(masks, n, axis=1)
    u8 = lambda x: (x.permute(0, 2, 3, 1).clamp(0, 1) * 255).round().byte().numpy()
    still = still_noise(u8(frames), u8(bg.repeat(n, 1, 1, 1)), all_masks)
    return rgba, frames[:1], bg, masks, spot, still


@pytest.mark.parametrize("waves", [False, True])
def test_grow_takes_any_change_only_where_the_background_is_still(waves):
    rgba, frame, bg, masks, spot, still = _reflection_scene(waves)
    out = _grow(rgba, frame, bg, masks, still=still)
    if waves:  # the sea changes there in most frames: not an effect to trust
        assert out[0, 0, 3][spot].max() == 0
    else:
        assert out[0, 0, 3][spot].min() > 0.2
        assert (_composite(out, bg) - frame[0])[:, spot].abs().max() < 0.01
    assert torch.equal(_grow(rgba, frame, bg, masks), rgba)  # without `still`: shadows only


def test_still_noise_is_high_where_the_background_keeps_changing():
    *_, spot, calm = _reflection_scene(waves=False)
    *_, spot, rough = _reflection_scene(waves=True)
    assert calm.max() == 0  # one frame of eight differs: the median ignores it
    assert rough[spot.numpy()].mean() > 0.05 and rough[~spot.numpy()].max() == 0


def test_grow_takes_other_changes_only_within_the_objects_height():
    """A brightening that reaches farther from the object than its height (12 rows) is not
    a reflection of it: only the part within that distance is taken."""
    rgba, _, bg, masks, _ = _scene()
    frame = bg.clone()
    far = torch.zeros(H, W, dtype=torch.bool)
    far[18:20, 14:50] = True  # from the object's side (x 10-13) to 36 px away
    frame = torch.where(far, bg + 0.3 * (1 - bg), bg)
    frame = torch.where(torch.from_numpy(masks[0, 0]), torch.full_like(frame, 0.2), frame)
    out = _grow(rgba, frame, bg, masks, still=np.zeros((H, W), np.float32))
    assert out[0, 0, 3, 18:20, 14:24].min() > 0.2
    assert out[0, 0, 3, 18:20, 30:50].max() == 0


@pytest.mark.parametrize("depth, taken", [(0.03, False), (0.3, True)])
def test_grow_takes_a_shadow_over_a_changing_background_only_when_clear(depth, taken):
    """Where the sea keeps changing, a darkening is trusted as a shadow only above
    `min_residual` (0.04): 0.03 darker could be a wave."""
    rgba, frame, bg, masks, spot, still = _reflection_scene(waves=True)
    frame = torch.where(spot, bg[0] - depth * bg[0] / bg[0].mean(0), frame)
    out = _grow(rgba, frame, bg, masks, still=still)
    assert (out[0, 0, 3][spot].min() > 0.02) == taken


def _beside_and_below(change: float, towards=(0.9, 0.1, 0.1)):
    """A red object (rows 8-19, x 10-13) over a flat grey plate; the frame moved `change` of
    the way to `towards` (the object's red: its reflection; white: foam) in a spot just below
    the object, where still water would mirror it, and in one just beside it; `still` says the
    background changes by 0.05 everywhere by itself."""
    masks = np.zeros((1, 1, H, W), bool)
    masks[0, 0, 8:20, 10:14] = True
    inside = torch.from_numpy(masks[0, 0])
    red = torch.tensor([0.9, 0.1, 0.1])[:, None, None]
    bg = torch.full((1, 3, H, W), 0.5)
    rgba = torch.cat([red.expand(3, H, W), inside[None].float()])[None, None]
    below, beside = torch.zeros(H, W, dtype=torch.bool), torch.zeros(H, W, dtype=torch.bool)
    below[20:26, 10:14] = True
    beside[10:16, 14:18] = True
    target = torch.tensor(towards)[:, None, None]
    frame = torch.where(below | beside, bg + change * (target - bg), bg)
    frame = torch.where(inside, red, frame)
    return rgba, frame, bg, masks, below, beside, np.full((H, W), 0.05, np.float32)


def test_grow_takes_a_faint_change_where_the_objects_reflection_can_be():
    # a third of the way to the object's red: 0.13 per channel, 2.6 times what the background
    # does by itself. Below the object that is its reflection, beside it a wave.
    rgba, frame, bg, masks, below, beside, still = _beside_and_below(1 / 3)
    out = _grow(rgba, frame, bg, masks, still=still)
    assert out[0, 0, 3][below].min() > 0.1
    assert out[0, 0, 3][beside].max() == 0
    # with the mirror's bar as high as elsewhere, neither is taken
    off = _grow(rgba, frame, bg, masks, still=still, mirror_factor=4.0)
    assert off[0, 0, 3][below].max() == 0
    # as much brightening towards white below the red object is foam, not its reflection
    rgba, frame, bg, masks, below, beside, still = _beside_and_below(0.26, (1.0, 1.0, 1.0))
    assert _grow(rgba, frame, bg, masks, still=still)[0, 0, 3][below].max() == 0
    # a change four times the background's own is taken on both sides
    rgba, frame, bg, masks, below, beside, still = _beside_and_below(2 / 3)
    out = _grow(rgba, frame, bg, masks, still=still)
    assert out[0, 0, 3][below].min() > 0.1 and out[0, 0, 3][beside].min() > 0.1


def test_mirror_reflects_the_mask_about_its_lowest_row():
    from omnigame.io.shadow_grow import MIRROR_GROW, _mirror
    mask = np.zeros((H, W), bool)
    mask[10:20, 30] = True  # a pole, rows 10-19
    mask[10, 31:35] = True  # its flag, at the top
    mirror = _mirror(mask)
    assert mirror[20:30, 30].all() and not mirror[:20 - MIRROR_GROW].any()
    # the flag, 9 rows above the lowest row, lands 10 rows below it (row 29)
    assert mirror[29, 31:35].all() and not mirror[29 - MIRROR_GROW - 1, 31 + MIRROR_GROW + 1:].any()
    assert not _mirror(np.zeros((H, W), bool)).any()
    # an object cut by the frame's top edge: its image ends as far below as it reaches above
    mask = np.zeros((H, W), bool)
    mask[0:6, 30] = True
    assert _mirror(mask)[6:12, 30].all() and not _mirror(mask)[12 + MIRROR_GROW:].any()
