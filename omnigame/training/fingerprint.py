"""What a training run is about, so that a checkpoint is only resumed by the run that wrote it.

A checkpoint records the run's identity: the stage, the model settings, a hash of the initial
weights (which covers init=pretrained/scratch/<checkpoint> and the seed that drew them), a
fingerprint of the training data and the training settings that change what the steps compute.
Resuming compares the stored identity with the new run's and names every difference.

Settings that may change between an interruption and its resume, and why:
    steps        the run continues to the new total (lambda_m decay points given as fractions
                 of the total move with it)
    lr           applied from the resumed step on: the advice after a NaN loss is to lower it
    log_every, image_every, checkpoint_every, num_workers, progress: bookkeeping only
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any, Dict, List

import torch
from omegaconf import OmegaConf

from ..config import TrainConfig
from ..data.prepare import PreparedVideo

# TrainConfig fields that may differ on resume (see the module docstring).
MAY_CHANGE = ("steps", "lr", "log_every", "image_every", "checkpoint_every", "num_workers",
              "progress")


# What a difference of hashes means.
WHY = {"data": "another video, or other input settings such as input.size",
       "initial_weights": "another init, or another seed for the initial weights"}


def tensor_hash(tensors) -> str:
    """A short content hash of tensors (shapes, dtypes and bytes)."""
    h = hashlib.blake2b(digest_size=12)
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(f"{tuple(t.shape)}{t.dtype}".encode())
        # uint8 view: numpy has no bfloat16, and bytes are what we compare anyway
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def video_fingerprint(video: PreparedVideo) -> Dict[str, Any]:
    """Shapes and a content hash of a prepared video (frames, masks, background, order)."""
    parts = [video.frames, video.masks, video.background, video.order]
    if video.valid is not None:
        parts.append(video.valid)
    return {"frames": list(video.frames.shape), "masks": list(video.masks.shape),
            "content": tensor_hash(parts)}


def data_fingerprint(videos) -> Dict[str, Any]:
    """Prepared videos (test-time training) are hashed; a stream of scenes is named by kind
    and length (hashing it would mean generating or reading every scene)."""
    # a handful of prepared videos hash in well under a second; anything longer is a stream
    if len(videos) <= 16 and all(isinstance(v, PreparedVideo) for v in videos):
        return {"videos": [video_fingerprint(v) for v in videos]}
    return {"kind": type(videos).__name__, "count": len(videos)}


def settings_that_matter(cfg: TrainConfig) -> Dict[str, Any]:
    plain = OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
    return {k: v for k, v in plain.items() if k not in MAY_CHANGE}


def run_identity(model: torch.nn.Module, data, cfg: TrainConfig, stage: str) -> Dict[str, Any]:
    """The identity of a run that starts from `model`'s current (initial) weights."""
    return {"stage": stage, "model": asdict(model.config),
            "initial_weights": tensor_hash(model.state_dict().values()),
            "data": data_fingerprint(data.videos), "train": settings_that_matter(cfg)}


def differences(stored: Dict[str, Any], current: Dict[str, Any], prefix: str = "") -> List[str]:
    """Dotted names of the entries that differ, e.g. ['train.batch_size (2 -> 4)']."""
    out = []
    for key in sorted(set(stored) | set(current)):
        a, b = stored.get(key, "<absent>"), current.get(key, "<absent>")
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, name + ".")
        elif a != b:
            top = name.split(".")[0]
            why = WHY[top] if top in WHY else "" if _long(a) or _long(b) else f"{a} -> {b}"
            out.append(f"{name} ({why})" if why else name)
    return out


def _long(value) -> bool:
    return len(repr(value)) > 40
