"""Checkpoints: one self-describing file with weights, optimizer, step, config and RNG state.

Written to a temporary file and renamed, so a crash while saving never destroys the previous
checkpoint. A checkpoint can rebuild its model without any other file.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, Optional

import torch
from omegaconf import OmegaConf

from ..config import ModelConfig
from ..io.files import atomic_path
from ..model.network import OmnigameModel
from ..model.positional import resize_table

FORMAT = "omnigame-checkpoint"
VERSION = 1


def save_checkpoint(path, model: OmnigameModel, optimizer: Optional[torch.optim.Optimizer],
                    step: int, config: Any = None, stage: str = "", **extra) -> None:
    """config: the training dataclass (stored as a plain dict), anything else in `extra`."""
    state = {
        "format": FORMAT, "version": VERSION, "stage": stage, "step": step,
        "model_config": asdict(model.config),
        "config": _plain(config),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "rng": {"torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None},
        **extra,
    }
    with atomic_path(path) as tmp:  # an interrupted save keeps the previous checkpoint
        torch.save(state, tmp)


def _plain(config: Any):
    if config is None:
        return None
    return OmegaConf.to_container(OmegaConf.structured(config), resolve=True)


def load_checkpoint(path) -> Dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:
        raise ValueError(f"{path}: not a readable checkpoint ({err}); it may be truncated, "
                         f"delete it to start over") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not an omnigame checkpoint (no '{FORMAT}' format tag)")
    return state


def restore_rng(state: Dict[str, Any]) -> None:
    torch.set_rng_state(state["rng"]["torch"])
    if state["rng"].get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])


def model_from_checkpoint(state: Dict[str, Any], image_size=None) -> OmnigameModel:
    """Rebuild the model; at another image size the positional tables are resized (seed s.1)."""
    config = ModelConfig(**state["model_config"])
    weights = dict(state["model"])
    if image_size is not None and list(image_size) != list(config.image_size):
        config = ModelConfig(**{**asdict(config), "image_size": list(image_size)})
        weights = resize_positional(weights, config)
    model = OmnigameModel(config)
    model.load_state_dict({k: v.float() for k, v in weights.items()})
    return model


def resize_positional(weights: Dict[str, torch.Tensor], config: ModelConfig):
    """Linearly resize the x and y tables of both positional embeddings to a new grid."""
    h, w = config.image_size[0] // 16, config.image_size[1] // 16
    out = dict(weights)
    for prefix in ("image_pos", "mask_pos"):
        out[f"{prefix}.x"] = resize_table(weights[f"{prefix}.x"].float(), w)
        out[f"{prefix}.y"] = resize_table(weights[f"{prefix}.y"].float(), h)
    return out
