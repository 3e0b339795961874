"""The effect warm-up: outside its mask a layer's alpha is fitted as if it were a shadow, so test-time
training from the shipped model grows a shadow outside the object's mask."""
import pytest
import torch

import omnigame
from omnigame.model.compositing import composite, warm_up_composites
from omnigame.synthetic.probes import disc_shadow_video


def _scene(dtype, bright: bool):
    g = torch.Generator().manual_seed(0)
    B, L, K, H, W = 1, 2, 2, 4, 6
    rgba = torch.rand(B, L, K, 4, H, W, generator=g, dtype=dtype)
    if bright:
        rgba[:, :, :, :3] = 0.95  # layer colours brighter than anything behind them
    bg = 0.2 + 0.5 * torch.rand(B, K, 3, H, W, generator=g, dtype=dtype)
    order = torch.arange(L).expand(B, K, L)
    free = torch.zeros(B, L, K, H, W, dtype=dtype)
    free[..., 3:] = 1.0  # the right half outside the masks, the left half inside
    return rgba, bg, order, free


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_warm_up_keeps_the_values_and_the_gradients_inside_the_masks(dtype):
    rgba, bg, order, free = _scene(dtype, bright=False)
    target = torch.rand_like(bg)
    grads = {}
    for name in ("true", "warm"):
        x = rgba.clone().requires_grad_()
        if name == "true":
            recon = composite(x, bg, order)
            loss = (recon - target).abs().sum()
        else:
            recon, shadow = warm_up_composites(x, bg, order, free)
            loss = (recon - target).abs().sum()
            loss = loss + (shadow - target).abs().sum() - (shadow - target).abs().sum().detach()
        loss.backward()
        grads[name] = (recon.detach(), loss.detach(), x.grad)
    assert torch.equal(grads["true"][0], grads["warm"][0])  # the same picture and loss
    assert torch.allclose(grads["true"][1], grads["warm"][1])
    true, warm = grads["true"][2], grads["warm"][2]
    assert torch.allclose(true[:, :, :, :3], warm[:, :, :, :3])  # colour: as always
    assert torch.allclose(true[:, :, :, 3, :, :3], warm[:, :, :, 3, :, :3])  # alpha in masks
    assert not torch.allclose(true[:, :, :, 3, :, 3:], warm[:, :, :, 3, :, 3:])


def test_warm_up_pulls_alpha_up_only_where_the_frame_is_darker_than_behind():
    rgba, bg, order, free = _scene(torch.float64, bright=True)
    rgba[:, :, :, 3] = 0.02  # nearly transparent layers
    for darker, sign in ((True, -1), (False, 1)):
        x = rgba.clone().requires_grad_()
        target = bg * 0.5 if darker else bg  # a shadow over everything, or none at all
        recon, shadow = warm_up_composites(x, bg, order, free)
        loss = (recon - target).abs().sum() + (shadow - target).abs().sum()
        loss.backward()
        alpha_grad = x.grad[:, :, :, 3, :, 3:]  # where free
        # bright layers: the true gradient pushes alpha down on the shadow; the warm-up up
        assert (torch.sign(alpha_grad) == sign).all()


def _shadow_alpha(steps: int, seed: int = 1, **options) -> float:
    # seed 1: the effect probe (experiments/effect_probe) was studied on seed 0
    video, shadow = disc_shadow_video(seed=seed, num_frames=16, size=(64, 112))
    layers = omnigame.decompose(video, steps=steps, progress=False, **options)
    return float(layers.alpha[0][shadow].mean())


@pytest.mark.slow  # about 11 s: two 20-step decompositions (the fast suite's 3-minute budget)
def test_a_short_warm_up_from_the_shipped_model_grows_the_shadow():
    # 20 steps of batch 2, all of them warm-up: measured 0.27 (the default 300 steps: the test
    # below)
    # (fit_alpha, grow_shadow and edge_matte off: the training alone, not the decoding after it)
    assert _shadow_alpha(20, fit_alpha=False, grow_shadow=False, edge_matte=False, batch_size=2,
                         **{"train.loss.effect_warmup": 1.0}) > 0.15
    # the same 20 steps of the seed's objective leave it out (0.026 measured, 2026-11-23)
    assert _shadow_alpha(20, fit_alpha=False, grow_shadow=False, edge_matte=False, batch_size=2,
                         **{"train.loss.effect_warmup": 0.0,
                            "train.loss.sparsity_where": "everywhere"}) < 0.1


@pytest.fixture(scope="module")
def default_shadow_alpha() -> float:
    # the check: default settings, the shipped model, a shadow over a photograph
    # (about 67 s: 300 steps of 2 clips at 64x112; measured 0.453, 2026-11-23). The seed's
    # objective (no warm-up, sparsity everywhere, none of the decoding's fits) gave 0.466 on
    # session 18's machine, 0.238 and under 0.1 on earlier ones: at 300 steps it depends on the
    # machine, so only the 20-step test above compares the two.
    return _shadow_alpha(omnigame.DecomposeConfig().train.steps)


def test_default_ttt_from_the_shipped_model_puts_the_shadow_in_the_layer(default_shadow_alpha):
    assert default_shadow_alpha >= 0.3


@pytest.mark.slow
def test_the_default_takes_the_shadow_on_other_photographs_too():
    # probe seeds 2 and 3 (other photographs behind the disc): 0.495 and 0.429 measured
    # (session 18). Seed 3's shadow falls on a near-black part of its photograph (22/255), where
    # it darkens the frame by 9 grey levels; the network leaves it out and grow_shadow takes
    # it (0.296 before its thresholds scaled with the ground's brightness).
    others = [_shadow_alpha(omnigame.DecomposeConfig().train.steps, seed=s) for s in (2, 3)]
    assert min(others) >= 0.3
