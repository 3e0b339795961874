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
              object_valid: Optional[torch.Tensor] = None,
              colour_free: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Composite layers over the background.

    rgba (B, L, K, 4, H, W) in [0, 1]; background (B, K, 3, H, W) in [0, 1];
    order (B, K, L) back-to-front object indices; object_valid (B, L) bool marks real
    objects (padding slots of batched synthetic data are skipped).
    colour_free (B, L, K, H, W) in [0, 1] or None: where alpha's gradient ignores the layer's
    colour (see `over`); the composite's values are the same.
    Returns (B, K, 3, H, W) in [0, 1].
    """
    if object_valid is not None:
        rgba = rgba * object_valid[:, :, None, None, None, None].to(rgba.dtype)
    slots = sort_layers(rgba, order)
    free = sort_layers(colour_free, order) if colour_free is not None else None
    recon = background
    for i, layer in enumerate(slots.unbind(1)):  # back to front
        recon = over(layer[:, :, :3], layer[:, :, 3:], recon,
                     free[:, i, :, None] if free is not None else None)
    return recon


def over(colour: torch.Tensor, alpha: torch.Tensor, behind: torch.Tensor,
         colour_free: Optional[torch.Tensor] = None) -> torch.Tensor:
    """alpha * colour + (1 - alpha) * behind; colour_free (broadcast like alpha) or None.

    Where a layer's alpha is ~0 its colour gets no gradient, so it is whatever the decoder
    carries over from the object (brighter than a shadow, say), and the true gradient then
    pushes alpha *down* on the very effect it should take (measured on the disc probe: the
    colour there drifts above the background within 20 steps and the shadow's alpha stays
    0.00). Where colour_free is 1, alpha's gradient is -behind * dL/drecon instead: alpha grows
    where the frame is darker than what lies behind the layer, whatever the layer's colour is
    yet, and the colour then follows through its own gradient (alpha * dL/drecon). Inside an
    object's own mask its colour is learned from the start; there the true gradient must stay
    (a free alpha there pushes a bright object out of its own layer).
    """
    if colour_free is None:
        return alpha * colour + (1.0 - alpha) * behind
    through_colour = alpha - colour_free * (alpha - alpha.detach())  # same values
    return through_colour * colour + (1.0 - alpha) * behind


def front_coverage(masks: torch.Tensor) -> torch.Tensor:
    """How much of each back-to-front slot is covered by the masks of slots in front of it.

    masks (B, L, K, H, W) already in slot order -> (B, L, K, H, W): sum over slots j > l.
    """
    total = masks.flip(1).cumsum(1).flip(1)  # sum over j >= l
    return total - masks
