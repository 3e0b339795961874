"""Each loss on a hand-checked case, and the lambda_m schedules of both stages."""
import math

import pytest
import torch

from omnigame.config import LossConfig, MaskScheduleConfig, TrainConfig, pretrain_defaults
from omnigame.training.losses import (alpha_sparsity, mask_loss, mask_weight, reconstruction_loss,
                             total_loss)


def test_reconstruction_loss_is_weighted_l1_in_signed_units():
    recon = torch.full((1, 1, 3, 2, 2), 0.5)
    target = torch.full((1, 1, 3, 2, 2), 0.25)
    weight = torch.ones(1, 1, 1, 2, 2)
    # |2 * 0.25| per channel, summed over 3 channels
    assert reconstruction_loss(recon, target, weight).item() == pytest.approx(1.5)
    target[..., 0, 0] = 0.5  # one pixel perfect
    weight[..., 0, 0] = 3.0  # ... and weighted 3x: (3*0 + 3*1.5) / 6
    assert reconstruction_loss(recon, target, weight).item() == pytest.approx(0.75)


def test_alpha_sparsity_hand_value():
    alpha = torch.full((1, 1, 1, 2, 2), 0.5)
    weight = torch.ones_like(alpha)
    expected = 0.5 + 2 / (1 + math.exp(-2.5)) - 1  # gamma*a + (2 sigmoid(5a) - 1)
    assert alpha_sparsity(alpha, weight).item() == pytest.approx(expected)
    weight[..., 0, :] = 0.0  # hidden behind a front mask: no penalty there
    assert alpha_sparsity(alpha, weight).item() == pytest.approx(expected / 2)
    assert alpha_sparsity(torch.zeros_like(alpha), torch.ones_like(alpha)).item() == 0.0


def test_mask_loss_balances_inside_and_outside():
    mask = torch.tensor([[1.0, 0.0], [0.0, 0.0]]).view(1, 1, 1, 2, 2)
    assert mask_loss(mask.clone(), mask).item() == 0.0
    # alpha 0 everywhere: only the inside pixel errs, by 2 (signed units), with weight
    # 0.5 * H*W / (n_in + 1) = 0.5 * 4 / 2 = 1; mean over 4 pixels -> 0.5
    assert mask_loss(torch.zeros_like(mask), mask).item() == pytest.approx(0.5)
    # alpha 1 everywhere: 3 outside pixels err by 2 with weight 0.5 * 4 / 4 = 0.5 -> 3/4
    assert mask_loss(torch.ones_like(mask), mask).item() == pytest.approx(0.75)


def test_lambda_m_pretraining_schedule_seed():
    s = pretrain_defaults().loss.mask  # 1.0, x0.1 at 1k and 2k steps
    assert mask_weight(0, 60000, s) == 1.0
    assert mask_weight(999, 60000, s) == 1.0
    assert mask_weight(1000, 60000, s) == pytest.approx(0.1)
    assert mask_weight(1999, 60000, s) == pytest.approx(0.1)
    assert mask_weight(2000, 60000, s) == pytest.approx(0.01)
    assert mask_weight(59999, 60000, s) == pytest.approx(0.01)


def test_lambda_m_ttt_schedule_seed():
    s = MaskScheduleConfig(initial=0.1)  # the seed's: 0.1, x0.1 at 0.1N and 0.2N
    N = 300
    assert mask_weight(0, N, s) == pytest.approx(0.1)
    assert mask_weight(29, N, s) == pytest.approx(0.1)
    assert mask_weight(30, N, s) == pytest.approx(0.01)
    assert mask_weight(60, N, s) == pytest.approx(0.001)


def test_lambda_m_ttt_default_starts_at_0_3_with_the_seeds_decay_points():
    s, N = TrainConfig().loss.mask, TrainConfig().steps
    assert [mask_weight(k, N, s) for k in (0, N // 10 - 1, N // 10, N // 5)] == \
        pytest.approx([0.3, 0.3, 0.03, 0.003])


def test_lambda_m_reference_schedule_takes_the_smaller_point():
    s = MaskScheduleConfig(initial=1.0, at_steps=[1000, 2000], at_fractions=[0.05, 0.1])
    assert [mask_weight(k, 200, s) for k in (9, 10, 19, 20)] == pytest.approx([1, .1, .1, .01])
    assert mask_weight(1000, 60000, s) == pytest.approx(0.1)  # min(3000, 1000)


def test_total_loss_perfect_layers_reconstruct_exactly():
    B, L, K, H, W = 1, 2, 1, 4, 4
    rgba = torch.zeros(B, L, K, 4, H, W)
    rgba[0, 0, 0, :3] = 0.8
    rgba[0, 0, 0, 3, :2] = 1.0  # object 0 covers the top half
    bg = torch.full((B, K, 3, H, W), 0.3)
    target = bg.clone()
    target[..., :2, :] = 0.8
    masks = rgba[:, :, :, 3].clone()
    order = torch.tensor([[[0, 1]]])
    terms = total_loss(rgba, target, bg, masks, order, LossConfig(), lambda_m=1.0)
    assert terms["recon"].item() == pytest.approx(0.0, abs=1e-6)
    assert terms["mask"].item() == pytest.approx(0.0, abs=1e-6)
    assert terms["loss"].item() == pytest.approx(
        (terms["recon"] + terms["sparsity"] + terms["mask"]).item())
