"""Data-parallel training over several processes (torchrun), one model replica per process.

    torchrun --nproc_per_node=2 --no-python omnigame-pretrain pretrain_preset=tiny

`train.batch_size` stays the global batch: rank r of W takes clips
step * B + r * B/W ... step * B + (r + 1) * B/W - 1 of each step, so together the ranks draw
exactly the clips one process would, and DistributedDataParallel averages their gradients.
Rank 0 alone writes checkpoints and TensorBoard; every rank's RNG state (dropout) goes into
the checkpoint, so a resumed run takes the steps an uninterrupted one would have.
"""
from __future__ import annotations

import logging
import os
from typing import List, Optional

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)


def init_from_env(device: str = "cpu") -> None:
    """Join the process group torchrun describes (WORLD_SIZE > 1); no-op otherwise."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if str(device).startswith("cuda") else "gloo")
        log.info("rank %d of %d", dist.get_rank(), dist.get_world_size())


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    return rank() == 0


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def per_rank_batch(batch_size: int) -> int:
    """This rank's share of the global batch."""
    if batch_size % world_size():
        raise ValueError(f"train.batch_size={batch_size} must be divisible by the number of "
                         f"processes ({world_size()}): each takes an equal share of the batch")
    return batch_size // world_size()


class RankSampler(torch.utils.data.Sampler):
    """Clip indices of this rank for steps start..steps-1 (see the module docstring)."""

    def __init__(self, start: int, steps: int, batch_size: int):
        self.start, self.steps, self.batch = start, steps, batch_size
        self.share = per_rank_batch(batch_size)
        self.offset = rank() * self.share

    def __len__(self) -> int:
        return (self.steps - self.start) * self.share

    def __iter__(self):
        for step in range(self.start, self.steps):
            first = step * self.batch + self.offset
            yield from range(first, first + self.share)


def wrap(model: torch.nn.Module, device) -> torch.nn.Module:
    """The model, or its DistributedDataParallel wrapper when several processes train."""
    if not dist.is_initialized() or world_size() == 1:
        return model
    ids = [torch.device(device).index] if str(device).startswith("cuda") else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def from_main(obj):
    """Rank 0's value of `obj` on every rank (a collective call)."""
    if world_size() == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_rng() -> Optional[List[torch.Tensor]]:
    """Every rank's torch RNG state (a collective call: all ranks must make it), or None."""
    if world_size() == 1:
        return None
    states: List[Optional[torch.Tensor]] = [None] * world_size()
    dist.all_gather_object(states, torch.get_rng_state())
    return states
