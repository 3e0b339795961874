"""Self-supervised losses (seed section 2) as small pure functions.

Every term is computed on hidden frames only: those are the frames the model decodes and the
frames the players must reproduce without having seen them. Images are compared in [-1, 1]
units with the L1 summed over colour channels, as in the reference, so that the reference's
weights (lambda_r = 0.05, lambda_m = 1 -> 0.01) keep their meaning.

The reference averages the sparsity and mask terms over all T frames of a clip with zero weight
on the visible ones (so they are diluted by hidden/T = 3/5), while the reconstruction term is a
weighted mean over hidden pixels only. `hidden_fraction` applies the same dilution here, so
lambda_r and lambda_m weigh against the reconstruction as much as in the reference, not 5/3 of it.
"""
from __future__ import annotations

from typing import Dict, Optional

import torch

from ..config import LossConfig, MaskScheduleConfig
from ..model.compositing import composite, front_coverage, sort_layers, warm_up_composites


def reconstruction_loss(recon: torch.Tensor, target: torch.Tensor,
                        weight: torch.Tensor) -> torch.Tensor:
    """Weighted L1 in [-1, 1] units, summed over RGB.

    recon, target (B, K, 3, H, W) in [0, 1]; weight (B, K, 1, H, W) >= 0.
    """
    err = (2.0 * (recon - target)).abs().sum(2, keepdim=True)
    return (weight * err).sum() / weight.sum().clamp_min(1e-8)


def alpha_sparsity(alpha: torch.Tensor, weight: torch.Tensor, gamma: float = 1.0,
                   sharpness: float = 5.0) -> torch.Tensor:
    """Omnimatte's sparsity prior: gamma * |a| + Phi_0(a), Phi_0(a) = 2 sigmoid(s a) - 1.

    alpha, weight (B, L, K, H, W). Each layer is penalised where no mask in front hides it
    (the reference penalises an alpha-of-alphas composite with unclipped weights; we keep the
    intended per-layer prior and clip the weights to [0, 1]).
    """
    penalty = gamma * alpha + (2.0 * torch.sigmoid(sharpness * alpha) - 1.0)
    return (weight * penalty).mean()


def mask_loss(alpha: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Balanced L1 between alpha and the input mask, in [-1, 1] units (bootstrap term).

    alpha, masks (B, L, K, H, W) in [0, 1]. Inside and outside the mask each carry half the
    weight of a frame, so a small object is not drowned by its background.
    """
    B, L, K, H, W = masks.shape
    n_in = masks.sum((-2, -1), keepdim=True) + 1.0
    n_out = (1.0 - masks).sum((-2, -1), keepdim=True) + 1.0
    balance = 0.5 * H * W * (masks / n_in + (1.0 - masks) / n_out)
    return (balance * (2.0 * (alpha - masks)).abs()).mean()


def mask_weight(step: int, total_steps: int, schedule: MaskScheduleConfig) -> float:
    """lambda_m at `step` (0-based): times `factor` once each decay point is passed."""
    points = decay_points(total_steps, schedule)
    return schedule.initial * schedule.factor ** sum(step >= p for p in points)


def decay_points(total_steps: int, schedule: MaskScheduleConfig):
    steps = list(schedule.at_steps)
    fracs = [int(f * total_steps) for f in schedule.at_fractions]
    if steps and fracs:
        if len(steps) != len(fracs):
            raise ValueError("at_steps and at_fractions must have the same length")
        return [min(s, f) for s, f in zip(steps, fracs)]
    return steps or fracs


def total_loss(rgba: torch.Tensor, target: torch.Tensor, background: torch.Tensor,
               masks: torch.Tensor, order: torch.Tensor, cfg: LossConfig, lambda_m: float,
               valid: Optional[torch.Tensor] = None,
               object_valid: Optional[torch.Tensor] = None,
               hidden_fraction: float = 1.0,
               warm_up: bool = False,
               sparsity_map: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """All terms for the decoded (hidden) frames; hidden_fraction = hidden / clip length;
    warm_up: the effect warm-up, outside each object's mask
    (`omnigame.model.compositing.warm_up_composites`).

    rgba (B, L, K, 4, H, W); target, background (B, K, 3, H, W); masks (B, L, K, H, W) float;
    order (B, K, L); valid (B, K, 1, H, W) or None; object_valid (B, L) or None;
    sparsity_map (B, 1, H, W) or None: where the sparsity term applies (LossConfig.sparsity_where).
    Returns a dict with 'loss' and its weighted terms (for logging).
    """
    if object_valid is not None:
        keep = object_valid[:, :, None, None, None].to(masks.dtype)
        masks = masks * keep
    if warm_up:  # the effect warm-up, outside each object's own mask
        recon, as_shadow = warm_up_composites(rgba, background, order, 1.0 - masks, object_valid)
    else:
        recon = composite(rgba, background, order, object_valid)
    overlap = (masks.sum(1) > 1).unsqueeze(2).to(recon.dtype)  # (B, K, 1, H, W)
    weight = 1.0 - (1.0 - cfg.overlap_weight) * overlap
    if valid is not None:
        weight = weight * valid
    alpha = rgba[:, :, :, 3]
    if object_valid is not None:
        alpha = alpha * keep
    shown = (1.0 - front_coverage(sort_layers(masks, order))).clamp(0.0, 1.0)
    if sparsity_map is not None:  # (B, 1, H, W) -> over every layer and frame
        shown = shown * sparsity_map[:, None]
    terms = {
        "recon": reconstruction_loss(recon, target, weight),
        "sparsity": hidden_fraction * cfg.sparsity_weight * alpha_sparsity(
            sort_layers(alpha, order), shown, cfg.sparsity_gamma, cfg.sparsity_sharpness),
        "mask": hidden_fraction * lambda_m * mask_loss(alpha, masks),
    }
    if warm_up:  # alpha's gradient where free; the logged value stays the true one
        shadow_err = reconstruction_loss(as_shadow, target, weight)
        terms["recon"] = terms["recon"] + shadow_err - shadow_err.detach()
    terms["loss"] = terms["recon"] + terms["sparsity"] + terms["mask"]
    return terms
