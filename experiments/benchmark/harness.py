"""Measurements behind experiments/benchmark: step time, FLOPs, inference speed, peak memory.

Every measurement runs in a fresh Python process (`measure_in_subprocess`), so the peak memory
it reports belongs to that measurement alone: the peak resident set size (VmHWM, reset when
the measured work starts) on CPU, torch.cuda.max_memory_allocated on CUDA. Each returns a flat
dict of numbers.

    python experiments/benchmark/harness.py '{"kind": "train", "height": 64, "width": 112, ...}'
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np
import torch
from omegaconf import OmegaConf
from torch.utils import flop_counter

from omnigame.conf import CONF_DIR

from omnigame.config import ClipConfig, ModelConfig, TrainConfig
from omnigame.data.prepare import Batch, prepare
from omnigame.inference import infer_layers
from omnigame.model.network import OmnigameModel
from omnigame.training.loop import loss_on_batch
from omnigame.training.precision import uses_bf16
from omnigame.io.video import Video

MiB = 2 ** 20
# preset=tiny's model (the unit tests' too): for --quick runs only
TINY = OmegaConf.to_container(OmegaConf.load(Path(CONF_DIR) / "model" / "tiny.yaml"))


# ---------------------------------------------------------------------------------------------
# Clocks and memory

def sync(device: str) -> None:
    """Wait for queued CUDA kernels, so a wall-clock reading covers the work."""
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def _proc_status_mib(key: str) -> Optional[float]:
    """A memory line of /proc/self/status (e.g. VmHWM, VmRSS) in MiB; None off Linux."""
    try:
        with open("/proc/self/status") as f:
            line = next(l for l in f if l.startswith(key + ":"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024  # reported in kB


def peak_memory_mib(device: str) -> float:
    """Peak memory since reset_peak: resident set (CPU) or allocated tensors (CUDA)."""
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated(device) / MiB
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec,
    # so a small child would report the benchmark driver's size.
    hwm = _proc_status_mib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak(device: str) -> float:
    """Start a new peak; returns the memory in use now (the "setup" the peak is compared to)."""
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)
        return torch.cuda.memory_allocated(device) / MiB
    try:  # "5" resets the resident high-water mark to the current size (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # the peak then counts from the process's start, still this measurement's alone
    rss = _proc_status_mib("VmRSS")
    return rss if rss is not None else peak_memory_mib(device)


def timed(fn: Callable[[], object], device: str) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def matmul_peak(device: str, n: int = 2048, repeats: int = 5) -> Dict[str, float]:
    """The machine's fp32 matrix-multiply rate: best of `repeats` (n x n) @ (n x n) products."""
    torch.backends.cuda.matmul.allow_tf32 = False  # measure fp32, the dtype the model trains in
    a, b = (torch.randn(n, n, device=device) for _ in range(2))
    torch.mm(a, b)  # warm-up: thread pool, cuBLAS handle
    best = min(timed(lambda: torch.mm(a, b), device) for _ in range(repeats))
    return {"n": n, "seconds": best, "gflops": 2 * n ** 3 / best / 1e9}


# ---------------------------------------------------------------------------------------------
# Synthetic inputs (random content: the cost of a step does not depend on what is in the frames)

def model_config(height: int, width: int, tiny: bool = False) -> ModelConfig:
    return ModelConfig(image_size=[height, width], **(TINY if tiny else {}))


def synthetic_batch(batch: int, length: int, objects: int, height: int, width: int,
                    device: str) -> Batch:
    """B clips of T frames with T - 2 hidden (first and last shown), L objects, random pixels."""
    B, T, L, H, W = batch, length, objects, height, width
    g = torch.Generator().manual_seed(0)
    visible = torch.zeros(B, T, dtype=torch.bool)
    visible[:, [0, -1]] = True
    rand = lambda *shape: torch.rand(*shape, generator=g)
    b = Batch(rand(B, T, 3, H, W), (rand(B, L, T, H, W) > 0.9).float(), rand(B, T, 3, H, W),
              torch.arange(L).expand(B, T, L).clone(), visible, None,
              torch.ones(B, L, dtype=torch.bool))
    return b.to(device)


def moving_squares(frames: int, height: int, width: int, objects: int, seed: int = 0) -> Video:
    """(N, H, W, 3) frames of squares sliding over noise, with exact masks and the background."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    video = np.repeat(background[None], frames, 0)
    masks = np.zeros((objects, frames, height, width), bool)
    side = max(2, min(height, width) // 4)
    for o in range(objects):
        y, x0 = rng.integers(0, height - side), rng.integers(0, width - side)
        colour = rng.integers(0, 256, 3)
        for t in range(frames):
            x = (x0 + t) % (width - side)
            masks[o, t, y:y + side, x:x + side] = True
            video[t][masks[o, t]] = colour
    order = np.tile(np.arange(objects), (frames, 1))
    return Video(video, masks, order, background=background)


# ---------------------------------------------------------------------------------------------
# FLOPs: torch's counter covers matmuls, convolutions and the GPU attention kernels; the CPU
# attention kernel is added here. Elementwise work (norms, activations, AdamW) is not counted.

def _cpu_attention(query, key, value, *args, out_shape=None, **kwargs) -> int:
    return flop_counter.sdpa_flop_count(query, key, value)


def _cpu_attention_backward(grad_out, query, key, value, *args, out_shape=None, **kwargs) -> int:
    return flop_counter.sdpa_backward_flop_count(grad_out, query, key, value)


def count_flops(fn: Callable[[], object]) -> int:
    """Floating-point operations (multiply and add counted apart) that fn() runs."""
    aten = torch.ops.aten
    extra = {aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention,
             aten._scaled_dot_product_flash_attention_for_cpu_backward: _cpu_attention_backward}
    counter = flop_counter.FlopCounterMode(display=False, custom_mapping=extra)
    with counter:
        fn()
    return counter.get_total_flops()


# ---------------------------------------------------------------------------------------------
# The measurements; p is a dict of the sizes (height, width, objects, length, batch, frames...)

def train_step(model: OmnigameModel, opt: torch.optim.Optimizer, batch: Batch,
               cfg: TrainConfig) -> None:
    """One step of omnigame.training.loop: loss on the hidden frames, backward, AdamW."""
    terms, _, _ = loss_on_batch(model, batch, cfg, lambda_m=0.1)
    opt.zero_grad(set_to_none=True)
    terms["loss"].backward()
    opt.step()


def measure_train(p: dict) -> dict:
    """Median seconds per training step (after a FLOP-counted warm-up step), FLOPs, memory."""
    device, cfg = p["device"], TrainConfig(precision=p.get("precision", "fp32"))
    model = OmnigameModel(model_config(p["height"], p["width"], p["tiny"])).to(device).train()
    batch = synthetic_batch(p["batch"], p["length"], p["objects"], p["height"], p["width"], device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    base = reset_peak(device)
    step = lambda: train_step(model, opt, batch, cfg)
    flops = count_flops(step)  # doubles as the warm-up step (Adam state, thread pools)
    times = [timed(step, device) for _ in range(p["steps"])]
    seconds, mem = statistics.median(times), peak_memory_mib(device)
    # The matmul peak again, right beside the steps: on a shared machine the rate available
    # to this process changes from minute to minute, and a fraction needs both at one load.
    peak = matmul_peak(device, p.get("matmul_n", 2048), repeats=3)["gflops"]
    return {"seconds": seconds, "seconds_all": times, "gflop": flops / 1e9,
            "gflops": flops / seconds / 1e9, "matmul_gflops": peak,
            "fraction_of_peak": flops / seconds / 1e9 / peak, "base_mib": base, "peak_mib": mem,
            "parameters": sum(q.numel() for q in model.parameters()),
            "bf16": uses_bf16(cfg.precision, torch.device(device).type)}


def measure_inference(p: dict) -> dict:
    """omnigame.inference.infer_layers over a whole synthetic video: frames/s and memory."""
    device, N, L = p["device"], p["frames"], p["objects"]
    video = moving_squares(N, p["height"], p["width"], L)
    prepared = prepare(video, video.background, (p["height"], p["width"]))
    model = OmnigameModel(model_config(p["height"], p["width"], p["tiny"])).to(device)
    inputs_mib = sum(t.numel() * t.element_size() for t in
                     (prepared.frames, prepared.masks, prepared.background)) / MiB
    base = reset_peak(device)
    warm = prepare(moving_squares(5, p["height"], p["width"], L), video.background, video.size)
    run = lambda v: infer_layers(model, v, ClipConfig(), p["batch_frames"], device, False)
    run(warm)  # one-time costs (thread pools, allocator) are not per-frame costs
    out = []
    seconds = timed(lambda: out.append(run(prepared)), device)
    return {"seconds": seconds, "fps": N / seconds, "base_mib": base,
            "peak_mib": peak_memory_mib(device), "inputs_mib": inputs_mib,
            "output_mib": out[0].numel() * out[0].element_size() / MiB}


def measure_decompose(p: dict) -> dict:
    """omnigame.decompose with steps=0 (inference plus building full-resolution Layers)."""
    from omnigame.api import decompose
    from omnigame.config import DecomposeConfig, InputConfig
    device, N, L, s = p["device"], p["frames"], p["objects"], p["input_scale"]
    H, W = p["height"] * s, p["width"] * s  # the input video is larger than the model size
    video = moving_squares(N, H, W, L)
    cfg = DecomposeConfig(model=model_config(p["height"], p["width"], p["tiny"]),
                          input=InputConfig(size=[p["height"], p["width"]]),
                          train=TrainConfig(steps=0, progress=False), preview=False,
                          device=device, batch_frames=p["batch_frames"], init="scratch")
    base = reset_peak("cpu")  # the full-resolution arrays live in host memory on any device
    if device.startswith("cuda"):
        reset_peak(device)
    out = []
    seconds = timed(lambda: out.append(decompose(video, config=cfg)), device)
    nbytes = lambda *arrays: sum(a.nbytes for a in arrays) / MiB
    layers = out[0]
    return {"seconds": seconds, "fps": N / seconds, "base_mib": base, "peak_mib":
            peak_memory_mib("cpu"), "input_video_mib": nbytes(video.frames, video.masks),
            "layers_mib": nbytes(layers.rgba, layers.background, layers.reconstruction),
            "float_layers_mib": L * N * 4 * H * W * 4 / MiB, "input_size": [H, W]}


MEASURES = {"matmul": lambda p: matmul_peak(p["device"], p.get("n", 2048)),
            "train": measure_train, "inference": measure_inference,
            "decompose": measure_decompose}


def measure(p: dict) -> dict:
    """Run one measurement in this process; p["kind"] names it. Adds the context it ran in."""
    if p.get("threads"):
        torch.set_num_threads(p["threads"])
    result = MEASURES[p["kind"]](p)
    result.update(threads=torch.get_num_threads(), loadavg_after=os.getloadavg()[0])
    return result


def measure_in_subprocess(p: dict, timeout: float = 900) -> dict:
    """measure(p) in a fresh interpreter, so its peak memory is its own; returns its dict."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), json.dumps(p)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark {p} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return dict(result, process_seconds=time.perf_counter() - start)


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))))
