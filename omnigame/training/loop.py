"""One explicit, step-based training loop for both stages.

Pretraining runs it over many (synthetic) videos from random weights; test-time training (TTT)
runs it over one user video, from a pretrained checkpoint or from scratch. Each step: draw the
step's clips, hide some frames, decode the hidden frames' layers, composite them and take one
AdamW step on the self-supervised loss. Checkpoints hold everything needed to resume exactly.
"""
from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch
from tqdm.auto import tqdm

from .checkpoint import load_checkpoint, restore_rng, save_checkpoint
from ..data.clips import ClipDataset, collate
from ..config import TrainConfig
from ..data.prepare import Batch
from .losses import mask_weight, total_loss
from ..model.network import OmnigameModel, hidden_indices
from .monitor import Monitor

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainResult:
    steps: int
    history: List[Dict[str, float]] = field(default_factory=list)  # one row per logged step
    checkpoint: Optional[str] = None
    seconds: float = 0.0


def seed_everything(seed: int) -> None:
    """The one place where global random state is seeded (dropout uses torch's generator)."""
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def take_frames(x: torch.Tensor, index: torch.Tensor, dim: int) -> torch.Tensor:
    """Select frames index (B, K) along the frame axis `dim` of x (B, ...)."""
    shape = [1] * x.dim()
    shape[0], shape[dim] = index.shape
    index = index.view(shape).expand(*x.shape[:dim], index.shape[1], *x.shape[dim + 1:])
    return x.gather(dim, index)


def loss_on_batch(model: OmnigameModel, batch: Batch, cfg: TrainConfig, lambda_m: float):
    """Forward the batch and return (loss terms, rgba of the hidden frames, hidden indices)."""
    hidden = hidden_indices(batch.visible)  # (B, K)
    rgba = model(batch.frames, batch.masks, batch.visible, hidden)
    valid = take_frames(batch.valid, hidden, 1) if batch.valid is not None else None
    terms = total_loss(
        rgba, take_frames(batch.frames, hidden, 1), take_frames(batch.background, hidden, 1),
        take_frames(batch.masks, hidden, 2), take_frames(batch.order, hidden, 1),
        cfg.loss, lambda_m, valid, batch.object_valid,
        hidden_fraction=hidden.shape[1] / batch.frames.shape[1])
    return terms, rgba, hidden


def train(model: OmnigameModel, data: ClipDataset, cfg: TrainConfig, run_dir,
          stage: str = "ttt", device="cpu", resume: bool = True) -> TrainResult:
    """Train `model` in place for cfg.steps steps, resuming from run_dir/checkpoint.pt if there."""
    run_dir = Path(run_dir)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start = _resume(model, opt, run_dir / CHECKPOINT, device) if resume else 0
    if start == 0:
        seed_everything(cfg.seed)
    result = TrainResult(steps=start)
    if start >= cfg.steps:
        return result
    loader = torch.utils.data.DataLoader(
        data, batch_size=cfg.batch_size, sampler=range(start * cfg.batch_size,
                                                       cfg.steps * cfg.batch_size),
        collate_fn=collate, num_workers=cfg.num_workers,
        # Its own generator: otherwise creating the iterator draws from the global RNG that
        # dropout uses, and a resumed run would drift from an uninterrupted one.
        generator=torch.Generator().manual_seed(cfg.seed))
    monitor = Monitor(run_dir / "tensorboard", cfg)
    began = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=start, desc=stage, disable=not cfg.progress,
               unit="step", dynamic_ncols=True)
    try:
        for step, batch in zip(range(start, cfg.steps), loader):
            row = _step(model, opt, batch.to(device), cfg, step, monitor)
            bar.update(1)
            bar.set_postfix(loss=f"{row['loss']:.4f}", recon=f"{row['recon']:.4f}")
            if step % cfg.log_every == 0 or step + 1 == cfg.steps:
                result.history.append(row)
            if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                save_checkpoint(run_dir / CHECKPOINT, model, opt, step + 1, cfg, stage)
            result.steps = step + 1
    finally:
        bar.close()
        monitor.close()
    result.checkpoint = str(run_dir / CHECKPOINT)
    result.seconds = time.perf_counter() - began
    return result


def _step(model, opt, batch: Batch, cfg: TrainConfig, step: int, monitor: Monitor) -> dict:
    model.train()
    lambda_m = mask_weight(step, cfg.steps, cfg.loss.mask)
    terms, rgba, hidden = loss_on_batch(model, batch, cfg, lambda_m)
    loss = terms["loss"]
    if not math.isfinite(loss.item()):
        raise FloatingPointError(f"loss is {loss.item()} at step {step}; the last checkpoint "
                                 f"is intact, lower train.lr and resume")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    row = {"step": step, "lambda_m": lambda_m, **{k: v.item() for k, v in terms.items()}}
    monitor.scalars(row, step)
    if step % cfg.image_every == 0 or step + 1 == cfg.steps:
        monitor.panels(batch, rgba.detach(), hidden, step)
    return row


def _resume(model, opt, path: Path, device) -> int:
    if not path.exists():
        return 0
    state = load_checkpoint(path)
    model.load_state_dict(state["model"])
    if state.get("optimizer") is not None:
        opt.load_state_dict(state["optimizer"])
    restore_rng(state)
    log.info("resuming from %s at step %d", path, state["step"])
    return int(state["step"])
