"""Real clips: zero-shot (no test-time training) and after test-time training.

For each clip and each step count, run `omnigame.decompose` (step 0 = zero-shot inference) and
record the reconstruction PSNR at the input resolution, the wall time of the whole call, the
TTT and inference seconds, and a contact sheet (input | layers | alphas | reconstruction).
Full outputs (layers, preview.mp4, TensorBoard) go to --runs, replaced when the same clip,
start and step count are run again; the figures and results.json go to --out.

    OMP_NUM_THREADS=1 python experiments/real_clips/run.py \\
        --clips ../shared/data/real/boys-beach ../shared/data/real/davis_kite-walk \\
        --steps 0 100 --init pretrained --size 128 224 --out experiments/real_clips/pretrained
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import omnigame
from omnigame.io.files import write_json
from omnigame.io.readers import read_input
from omnigame.io.sheets import layers_sheet


def run_one(clip: Path, steps: int, args) -> dict:
    """decompose() one clip with `steps` TTT steps; the result folder is kept under --runs."""
    name = f"{clip.name}_{Path(args.init).stem}_{steps}"
    began = time.perf_counter()
    video = read_input(clip)  # reading counts: a user's wall time starts at the mp4
    layers = omnigame.decompose(video, out_dir=Path(args.runs) / name, init=args.init,
                                steps=steps, size=tuple(args.size), seed=args.seed,
                                batch_size=args.batch_size, overwrite=True)
    wall = time.perf_counter() - began
    sheet = Path(args.out) / f"{name}.png"
    layers_sheet(video.frames, layers.rgba, layers.reconstruction, sheet, layers.object_names,
                 num_frames=4)
    row = {"clip": clip.name, "init": args.init, "steps": steps, "wall_seconds": round(wall, 1),
           **{k: layers.metrics[k] for k in ("reconstruction_psnr", "ttt_seconds",
                                             "inference_seconds", "model_size", "frames")},
           "torch_threads": torch.get_num_threads(), "contact_sheet": sheet.name}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clips", nargs="+", required=True, help="clip folders (input_video.mp4 + "
                   "mask_NN.mp4) or any input decompose() reads")
    p.add_argument("--steps", type=int, nargs="+", default=[0, 100])
    p.add_argument("--init", default="pretrained", help="pretrained, scratch or a checkpoint")
    p.add_argument("--size", type=int, nargs=2, default=[128, 224])
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", default="runs/real_clips", help="where full results are written")
    p.add_argument("--out", default="experiments/real_clips/results")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    rows = json.loads(results.read_text()) if results.exists() else []
    for clip in map(Path, args.clips):
        for steps in args.steps:
            rows = [r for r in rows if (r["clip"], r["init"], r["steps"])
                    != (clip.name, args.init, steps)] + [run_one(clip, steps, args)]
            write_json(results, rows)  # after every run: an interruption loses one


if __name__ == "__main__":
    main()
