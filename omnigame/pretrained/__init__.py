"""The pretrained model shipped inside the package (weights in fp16, with a model card).

    model = omnigame.load_pretrained()                      # at the size it was trained at
    model = omnigame.load_pretrained(image_size=(128, 224))  # positional tables resized
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import torch

from ..io.files import atomic_path
from ..training.checkpoint import load_checkpoint, model_from_checkpoint
from ..model.network import OmnigameModel

WEIGHTS = Path(__file__).with_name("omnigame_synthetic.pt")
CARD = Path(__file__).with_name("MODEL_CARD.md")


def load_pretrained(image_size: Optional[Sequence[int]] = None, path=None) -> OmnigameModel:
    """The shipped model, offline; at `image_size` (H, W) the positional tables are resized."""
    path = Path(path) if path is not None else WEIGHTS
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no pretrained weights are shipped in this build; decompose with "
            f"init='scratch', or pretrain one with omnigame-pretrain and pass init=<checkpoint>")
    return model_from_checkpoint(load_checkpoint(path), image_size=image_size)


def export_weights(checkpoint, out=WEIGHTS) -> Path:
    """Strip a training checkpoint to fp16 weights + config (what is shipped)."""
    state = load_checkpoint(checkpoint)
    state["model"] = {k: v.half() if v.is_floating_point() else v
                      for k, v in state["model"].items()}
    state["optimizer"] = None
    with atomic_path(out) as tmp:
        torch.save(state, tmp)
    return Path(out)
