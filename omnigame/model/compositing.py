"""Back-to-front alpha compositing of object layers over the background (seed Algorithm 1).

Algorithm 1 in the seed never increments its loop counter; this is the intended loop:
    recon = background
    for each layer, back to front:  recon = alpha * colour + (1 - alpha) * recon
The back-to-front order is given per frame, since objects can pass in front of each other.
"""
from __future__ import annotations

from typing import Optional

import torch


def sort_layers(x: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Put object layers into back-to-front order for each frame.

    x (B, L, K, ...) per object; order (B, K, L) object indices back-to-front.
    Returns (B, L, K, ...) where slot 0 is the furthest back in each frame.
    """
    B, L, K = x.shape[:3]
    index = order.permute(0, 2, 1)  # (B, L, K): slot -> object
    index = index.reshape(B, L, K, *([1] * (x.dim() - 3))).expand_as(x)
    return x.gather(1, index)


def composite(rgba: torch.Tensor, background: torch.Tensor, order: torch.Tensor,
              object_valid: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Composite layers over the background.

    rgba (B, L, K, 4, H, W) in [0, 1]; background (B, K, 3, H, W) in [0, 1];
    order (B, K, L) back-to-front object indices; object_valid (B, L) bool marks real
    objects (padding slots of batched synthetic data are skipped).
    Returns (B, K, 3, H, W) in [0, 1].
    """
    if object_valid is not None:
        rgba = rgba * object_valid[:, :, None, None, None, None].to(rgba.dtype)
    slots = sort_layers(rgba, order)
    recon = background
    for layer in slots.unbind(1):  # back to front
        colour, alpha = layer[:, :, :3], layer[:, :, 3:]
        recon = alpha * colour + (1.0 - alpha) * recon
    return recon


def warm_up_composites(rgba: torch.Tensor, background: torch.Tensor, order: torch.Tensor,
                       free: torch.Tensor, object_valid: Optional[torch.Tensor] = None):
    """The effect warm-up's two composites (both with the values of `composite`'s where free=0).

    Where a layer's alpha is ~0 its colour gets no gradient, so it is whatever the decoder
    carries over from the object (brighter than a shadow, say), and the true gradient,
    (colour - behind) x dL/drecon, then pushes alpha *down* on the very shadow it should take
    (measured on the disc probe: the colour there drifts above the background within 20 steps
    and the shadow's alpha stays 0.00). During the warm-up, where `free` (B, L, K, H, W) is 1
    (outside the object's own mask), alpha is fitted as if the layer were a shadow instead:
      real:   the true composite, alpha's gradient cut where free (colour, and alpha inside the
              masks, learn from it as always);
      shadow: the same layers, black where free, only alpha there carrying a gradient.
    An L1 reconstruction of `shadow` pulls alpha towards 1 - frame / behind where the frame is
    darker than what lies behind the layer and to 0 elsewhere, whatever the layer's colour is
    yet; the colour then follows through `real`. Returns (real, shadow), each (B, K, 3, H, W).
    """
    f = free[:, :, :, None].to(rgba.dtype)
    colour, alpha = rgba[:, :, :, :3], rgba[:, :, :, 3:]
    still = alpha.detach()
    real = torch.cat([colour, alpha - f * (alpha - still)], 3)
    shadow = torch.cat([colour.detach() * (1.0 - f), still + f * (alpha - still)], 3)
    return (composite(real, background, order, object_valid),
            composite(shadow, background, order, object_valid))


def front_coverage(masks: torch.Tensor) -> torch.Tensor:
    """How much of each back-to-front slot is covered by the masks of slots in front of it.

    masks (B, L, K, H, W) already in slot order -> (B, L, K, H, W): sum over slots j > l.
    """
    total = masks.flip(1).cumsum(1).flip(1)  # sum over j >= l
    return total - masks
