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
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch
from tqdm.auto import tqdm

from .checkpoint import load_checkpoint, restore_rng, save_checkpoint
from . import distributed as dd
from .fingerprint import differences, run_identity
from ..data.clips import ClipDataset, collate
from ..config import TrainConfig
from ..data.prepare import Batch
from .losses import mask_weight, total_loss
from ..model.network import OmnigameModel, hidden_indices
from .monitor import Monitor, NoMonitor
from .precision import step_precision, uses_bf16

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"
RANK_SEED_STRIDE = 1_000_003  # rank r > 0 seeds its dropout with seed + r * this


@dataclass
class TrainResult:
    steps: int
    history: List[Dict[str, float]] = field(default_factory=list)  # one row per logged step
    checkpoint: Optional[str] = None
    seconds: float = 0.0  # training time of the whole run, summed over resumed sessions


class ResumeMismatch(ValueError):
    """run_dir holds a checkpoint of another run (another video, init or settings)."""


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


def loss_on_batch(model: OmnigameModel, batch: Batch, cfg: TrainConfig, lambda_m: float,
                  warm_up: bool = False):
    """Forward the batch and return (loss terms, rgba of the hidden frames, hidden indices).
    warm_up: the effect warm-up's gradient (LossConfig.effect_warmup)."""
    hidden = hidden_indices(batch.visible)  # (B, K)
    with step_precision(cfg.precision, batch.frames.device.type):
        rgba = model(batch.frames, batch.masks, batch.visible, hidden)
    rgba = rgba.float()  # the compositing and losses in float32 whatever the step's precision
    valid = take_frames(batch.valid, hidden, 1) if batch.valid is not None else None
    terms = total_loss(
        rgba, take_frames(batch.frames, hidden, 1), take_frames(batch.background, hidden, 1),
        take_frames(batch.masks, hidden, 2), take_frames(batch.order, hidden, 1),
        cfg.loss, lambda_m, valid, batch.object_valid,
        hidden_fraction=hidden.shape[1] / batch.frames.shape[1], warm_up=warm_up,
        sparsity_map=batch.sparsity_map)
    return terms, rgba, hidden


def train(model: OmnigameModel, data: ClipDataset, cfg: TrainConfig, run_dir,
          stage: str = "ttt", device="cpu", resume: bool = True,
          on_mismatch: str = "error") -> TrainResult:
    """Train `model` in place for cfg.steps steps, resuming from run_dir/checkpoint.pt if there.

    The checkpoint must come from the same run (see training.fingerprint): otherwise
    on_mismatch='error' raises ResumeMismatch naming the differences, and 'restart' empties
    run_dir and starts afresh. A changed cfg.lr is applied from the resumed step on.
    """
    run_dir = Path(run_dir)
    # rank 0's: DistributedDataParallel starts every replica from rank 0's weights
    identity = dd.from_main({**run_identity(model, data, cfg, stage),
                             "processes": dd.world_size()})
    model.to(device)
    if uses_bf16(cfg.precision, torch.device(device).type):  # a wrong value fails here, at once
        log.info("training steps in bfloat16 autocast (train.precision=%s)", cfg.precision)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start, seconds = 0, 0.0
    if resume:
        start, seconds = _resume(model, opt, run_dir, identity, cfg, device, on_mismatch)
    if start == 0:
        seed_everything(cfg.seed + RANK_SEED_STRIDE * dd.rank())
        if dd.is_main():  # curves of an earlier run that left no checkpoint would mix in
            shutil.rmtree(run_dir / "tensorboard", ignore_errors=True)
    result = TrainResult(steps=start, seconds=seconds)
    if start >= cfg.steps:
        return result
    net = dd.wrap(model, device)  # several processes: gradients averaged over them
    loader = torch.utils.data.DataLoader(
        data, batch_size=dd.per_rank_batch(cfg.batch_size),
        sampler=dd.RankSampler(start, cfg.steps, cfg.batch_size),
        collate_fn=collate, num_workers=cfg.num_workers,
        # Its own generator: otherwise creating the iterator draws from the global RNG that
        # dropout uses, and a resumed run would drift from an uninterrupted one.
        generator=torch.Generator().manual_seed(cfg.seed))
    # purge_step: curves logged after the checkpoint by the interrupted session are dropped
    monitor = (Monitor(run_dir / "tensorboard", cfg, purge_step=start or None)
               if dd.is_main() else NoMonitor())
    began = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=start, desc=stage, unit="step", dynamic_ncols=True,
               disable=not cfg.progress or not dd.is_main())
    try:
        for step, batch in zip(range(start, cfg.steps), loader):
            row = _step(net, opt, batch.to(device), cfg, step, monitor)
            bar.update(1)
            bar.set_postfix(loss=f"{row['loss']:.4f}", recon=f"{row['recon']:.4f}")
            if step % cfg.log_every == 0 or step + 1 == cfg.steps:
                result.history.append(row)
            result.steps = step + 1
            result.seconds = seconds + time.perf_counter() - began
            if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps:
                _save(run_dir / CHECKPOINT, model, opt, step + 1, cfg, stage,
                      identity, result.seconds)
    finally:
        bar.close()
        monitor.close()
    result.checkpoint = str(run_dir / CHECKPOINT)
    return result


def _save(path: Path, model, opt, step: int, cfg, stage: str, identity, seconds) -> None:
    """Rank 0 writes; every rank's RNG state goes in, so each resumes its own dropout."""
    rank_rng = dd.gather_rng()  # collective: all ranks call it
    if dd.is_main():
        save_checkpoint(path, model, opt, step, cfg, stage, identity=identity,
                        seconds=seconds, rank_rng=rank_rng)
    dd.barrier()  # nobody runs ahead of a checkpoint it might resume from


def _step(model, opt, batch: Batch, cfg: TrainConfig, step: int, monitor: Monitor) -> dict:
    """One optimizer step; `model` may be the DistributedDataParallel wrapper."""
    model.train()
    _apply_lr(opt, learning_rate(step, cfg), quiet=True)
    lambda_m = mask_weight(step, cfg.steps, cfg.loss.mask)
    warm_up = step < cfg.loss.effect_warmup * cfg.steps
    terms, rgba, hidden = loss_on_batch(model, batch, cfg, lambda_m, warm_up)
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


def _resume(model, opt, run_dir: Path, identity: dict, cfg: TrainConfig, device,
            on_mismatch: str):
    """Load run_dir/checkpoint.pt if it belongs to this run: (step, seconds so far)."""
    path = run_dir / CHECKPOINT
    if not path.exists():
        return 0, 0.0
    state = load_checkpoint(path)
    stored = state.get("identity")
    diff = (differences(stored, identity) if stored is not None else
            ["it was written by an omnigame version that did not record what it trained on"])
    if diff and on_mismatch == "restart":
        log.info("%s is from another run (%s): starting afresh", path, "; ".join(diff))
        dd.barrier()  # every rank has read it before it goes
        if dd.is_main():
            shutil.rmtree(run_dir)
        return 0, 0.0
    if diff:
        raise ResumeMismatch(
            f"{path} is the checkpoint of another run, so it cannot be resumed: "
            f"{'; '.join(diff)}. To start afresh delete {run_dir} (with omnigame-decompose: "
            f"pass overwrite=true, or choose another out_dir)")
    model.load_state_dict(state["model"])
    if state.get("optimizer") is not None:
        opt.load_state_dict(state["optimizer"])
    _apply_lr(opt, learning_rate(int(state["step"]), cfg))
    restore_rng(state)
    if state.get("rank_rng") is not None:
        torch.set_rng_state(state["rank_rng"][dd.rank()])
    log.info("resuming from %s at step %d", path, state["step"])
    return int(state["step"]), float(state.get("seconds", 0.0))


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """cfg.lr, falling linearly to zero over the last cfg.lr_anneal share of the steps."""
    start = (1.0 - cfg.lr_anneal) * cfg.steps
    if cfg.lr_anneal <= 0 or step < start:
        return cfg.lr
    return cfg.lr * (cfg.steps - step) / (cfg.steps - start)


def _apply_lr(opt: torch.optim.Optimizer, lr: float, quiet: bool = False) -> None:
    # load_state_dict restores the checkpoint's lr; the configured one wins, so that
    # "lower train.lr and resume" (after a NaN loss) does what it says.
    for group in opt.param_groups:
        if group["lr"] != lr:
            if not quiet:
                log.info("learning rate %g -> %g from this step on", group["lr"], lr)
            group["lr"] = lr
