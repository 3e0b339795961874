"""The training step's arithmetic: float32, or its forward pass in bfloat16 where that is fast.

Autocast runs convolutions, linear layers and attention in bfloat16 and keeps reductions,
the losses, the weights and the optimizer in float32. On a CPU with native bfloat16
(AVX512-BF16 or AMX) a test-time training step takes half to two thirds of its float32 time
(session 35's 2-core machine); on a CPU without it bfloat16 is emulated and slower, so "auto" keeps float32
there. Layers are always decoded in float32 (`omnigame.inference`). The default is float32:
on the dev benchmark bfloat16 steps score within a seed's spread, but on boys-beach they lost
a shadow that the float32 run keeps (experiments/dev_benchmark/README.md, "bfloat16").
"""
from __future__ import annotations

import contextlib

import torch

from ..config import PRECISIONS



def native_bf16(device_type: str) -> bool:
    """Whether `device_type` ("cpu", "cuda", ...) computes bfloat16 natively."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":  # torch.cpu's probes of the instruction set (private, so guarded)
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, name, lambda: False)() for name in probes)
    return False


def uses_bf16(precision: str, device_type: str) -> bool:
    """TrainConfig.precision on this device type -> whether the step runs in bfloat16."""
    if precision not in PRECISIONS:
        raise ValueError(f"train.precision={precision!r}: choose one of {', '.join(PRECISIONS)}")
    return precision == "bf16" or (precision == "auto" and native_bf16(device_type))


def step_precision(precision: str, device_type: str):
    """A context for the step's forward pass and loss: bfloat16 autocast, or nothing."""
    if uses_bf16(precision, device_type):
        return torch.autocast(device_type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
