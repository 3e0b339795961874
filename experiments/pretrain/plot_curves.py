"""Pretraining curves from a run's TensorBoard logs: losses against step, and the wall time.

    python experiments/pretrain/plot_curves.py runs/pretrain_synthetic experiments/pretrain/curves.png

Resumed runs write one event file per session; where they overlap (steps redone after the last
checkpoint) the later file wins. The wall time is summed per file, so time between sessions
is not counted.
"""
from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from omnigame.evaluation.report import save_figure  # noqa: E402
from omnigame.io.files import write_text  # noqa: E402

TAGS = ["train/recon", "train/sparsity", "train/mask", "train/loss"]


def read_run(run_dir: str) -> tuple:
    """-> ({tag: {step: value}}, wall seconds summed over sessions)."""
    curves, seconds = {}, 0.0
    for path in sorted(glob.glob(str(Path(run_dir) / "tensorboard" / "events.*"))):
        events = EventAccumulator(path, size_guidance={"scalars": 0})
        events.Reload()
        tags = [t for t in events.Tags()["scalars"] if t in TAGS]
        for tag in tags:
            curves.setdefault(tag, {}).update({e.step: e.value for e in events.Scalars(tag)})
        if tags:
            times = [e.wall_time for e in events.Scalars(tags[0])]
            seconds += max(times) - min(times)
    return curves, seconds


def smooth(values: np.ndarray, window: int = 50) -> np.ndarray:
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("out", help="PNG; a JSON of per-200-step means is written next to it")
    args = p.parse_args()
    curves, seconds = read_run(args.run_dir)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    summary = {"wall_seconds": round(seconds), "means_per_200_steps": {}}
    for tag, points in curves.items():
        steps = np.array(sorted(points))
        values = np.array([points[s] for s in steps])
        if len(values) > 50:
            ax.plot(steps[49:], smooth(values), label=tag.split("/")[1] + " (50-step mean)")
        summary["means_per_200_steps"][tag] = {
            int(a): round(float(values[(steps >= a) & (steps < a + 200)].mean()), 4)
            for a in range(0, int(steps.max()) + 1, 200)}
    ax.set(xlabel="pretraining step", ylabel="loss", yscale="log",
           title=f"pretraining, {seconds / 60:.0f} min of wall time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, args.out, dpi=120)
    write_text(Path(args.out).with_suffix(".json"), json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
