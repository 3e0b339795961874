"""Measure scene generation rate: generate_scene alone on one core, and generate_dataset
(generation + PNG writing) with 1 and with all worker processes.

    PYTHONPATH=. python experiments/synthetic_scenes/measure_rate.py --scenes 20
"""
import argparse
import os
import shutil
import tempfile
import time
from dataclasses import replace

import torch

from omnigame.synthetic import SceneConfig, generate_dataset, generate_scene


def rate_generate(config, scenes: int) -> float:
    """Scenes per second of generate_scene (+ to_video) in this process, one torch thread."""
    torch.set_num_threads(1)
    generate_scene(config, 10**6)  # warm caches (photos) outside the timing
    start = time.perf_counter()
    for seed in range(scenes):
        generate_scene(config, seed).to_video()
    return scenes / (time.perf_counter() - start)


def rate_dataset(config, scenes: int, workers: int) -> float:
    """Scenes per second of generate_dataset (generation + writing PNGs), contact sheet excluded."""
    out = tempfile.mkdtemp(prefix="synth-rate-")
    try:
        start = time.perf_counter()
        generate_dataset(config, os.path.join(out, "ds"), scenes, workers=workers, sheet_scenes=0)
        return scenes / (time.perf_counter() - start)
    finally:
        shutil.rmtree(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=20)
    args = parser.parse_args()
    cores = os.cpu_count()
    base = SceneConfig()
    cases = {"128x224 default": base, "128x224 camera motion": replace(base, camera_motion=True),
             "64x112 default": replace(base, height=64, width=112)}
    for name, cfg in cases.items():
        print(f"{name:24s} generate_scene, 1 core: {rate_generate(cfg, args.scenes):6.2f} scenes/s")
    for name, cfg in cases.items():
        one = rate_dataset(cfg, args.scenes, 1)
        every = rate_dataset(cfg, args.scenes, cores)
        print(f"{name:24s} generate_dataset+write: 1 worker {one:6.2f} scenes/s, "
              f"{cores} workers {every:6.2f} scenes/s")


if __name__ == "__main__":
    main()
