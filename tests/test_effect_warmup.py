"""The effect warm-up: alpha's gradient ignores a layer's not-yet-learned colour, so test-time
training from the shipped model grows a shadow outside the object's mask."""
import pytest
import torch

import omnigame
from omnigame.model.compositing import composite, over
from omnigame.synthetic.probes import disc_shadow_video


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_colour_free_alpha_keeps_values_and_drops_the_colour_from_alphas_gradient(dtype):
    g = torch.Generator().manual_seed(0)
    colour, behind = (torch.rand(2, 3, 5, 5, generator=g, dtype=dtype) for _ in range(2))
    alpha = torch.rand(2, 1, 5, 5, generator=g, dtype=dtype)
    free = torch.zeros(2, 1, 5, 5, dtype=dtype)
    free[..., 2:] = 1.0  # the right part free (outside the object's mask), the left not
    upstream = torch.randn(2, 3, 5, 5, generator=g, dtype=dtype)
    grads = {}
    for name, mask in (("true", None), ("warm", free)):
        c, a = colour.clone().requires_grad_(), alpha.clone().requires_grad_()
        out = over(c, a, behind, mask)
        out.backward(upstream)
        grads[name] = (out.detach(), c.grad, a.grad)
    assert torch.equal(grads["true"][0], grads["warm"][0])  # the same picture
    assert torch.allclose(grads["true"][1], grads["warm"][1])  # colour: alpha * dL/drecon
    true_alpha = ((colour - behind) * upstream).sum(1, keepdim=True)
    free_alpha = (-behind * upstream).sum(1, keepdim=True)
    assert torch.allclose(grads["true"][2], true_alpha)
    assert torch.allclose(grads["warm"][2][..., 2:], free_alpha[..., 2:])
    assert torch.allclose(grads["warm"][2][..., :2], true_alpha[..., :2])


def test_composite_frees_alpha_only_where_asked():
    g = torch.Generator().manual_seed(1)
    B, L, K, H, W = 1, 2, 2, 4, 4
    rgba = torch.rand(B, L, K, 4, H, W, generator=g)
    rgba[:, :, :, :3] = 0.9  # layers brighter than anything behind them
    rgba.requires_grad_()
    bg = torch.rand(B, K, 3, H, W, generator=g) * 0.5
    order = torch.arange(L).expand(B, K, L)
    free = torch.zeros(B, L, K, H, W)
    free[..., :2] = 1.0
    # a dark target: the loss falls as the composite darkens
    composite(rgba, bg, order, colour_free=free).sum().backward()
    alpha_grad = rgba.grad[:, :, :, 3]
    assert (alpha_grad[..., :2] < 0).all()  # free: alpha pulled up, whatever the colour
    assert (alpha_grad[..., 2:] > 0).all()  # not free: the bright colour pushes alpha down


def _shadow_alpha(steps: int, **options) -> float:
    # seed 1: the effect probe (experiments/effect_probe) was studied on seed 0
    video, shadow = disc_shadow_video(seed=1, num_frames=16, size=(64, 112))
    layers = omnigame.decompose(video, steps=steps, progress=False, **options)
    return float(layers.alpha[0][shadow].mean())


def test_a_short_warm_up_from_the_shipped_model_grows_the_shadow():
    # 30 steps, all of them warm-up (measured 0.58; the default 150 steps with 50 of warm-up
    # give 0.42, the seed's objective alone ~0.01: the slow test below checks both)
    assert _shadow_alpha(30, **{"train.loss.effect_warmup": 1.0}) > 0.3


@pytest.mark.slow
def test_default_ttt_from_the_shipped_model_puts_the_shadow_in_the_layer():
    # the check: default settings, the shipped model, a shadow over a photograph
    assert _shadow_alpha(omnigame.DecomposeConfig().train.steps) >= 0.3
    assert _shadow_alpha(omnigame.DecomposeConfig().train.steps, **{
        "train.loss.effect_warmup": 0.0}) < 0.1  # without the warm-up it stays out
