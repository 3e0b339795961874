"""Would two training runs per video do better than one? Averages the kept model outputs of
`score.py` runs with other seeds (premultiplied colour, alpha), into a run that `rescore.py`
then decodes and scores as any other:

    python experiments/dev_benchmark/seed_average.py RUN_SEED0 RUN_SEED1 --out AVG
    OMP_NUM_THREADS=1 python experiments/dev_benchmark/rescore.py AVG --out SCORED [switches]

Unlike session 27's averages of one run (`averaging.py`: weights, checkpoints, clip places),
these runs share nothing but the video and the pretrained start, so their errors are as
independent as test-time training makes them. The price is the training time, twice over.
Results (session 29): README, "Measured in session 29 and not adopted".
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch


def average(raws: list) -> dict:
    """Kept model outputs (dicts with rgba_small (L, N, 4, h, w)) -> the first, with the mean
    layers: alpha averaged, colour averaged premultiplied (so a layer absent in one run does
    not grey the other's colour)."""
    layers = [r["rgba_small"].float() for r in raws]
    alpha = torch.stack([x[:, :, 3:] for x in layers]).mean(0)
    held = torch.stack([x[:, :, :3] * x[:, :, 3:] for x in layers]).mean(0)
    colour = torch.where(alpha > 0, held / alpha.clamp_min(1e-6), layers[0][:, :, :3])
    return {**raws[0], "rgba_small": torch.cat([colour.clamp(0, 1), alpha], 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("runs", nargs="+", help="score.py --out folders of the same scenes")
    p.add_argument("--out", required=True, help="a new folder: layers/raw__*.pt, results.json")
    args = p.parse_args()
    runs, out = [Path(r) for r in args.runs], Path(args.out)
    if out.exists():
        raise SystemExit(f"{out} exists; give a new folder")
    (out / "layers").mkdir(parents=True)
    recorded = json.loads((runs[0] / "results.json").read_text())
    for key in recorded["scenes"]:
        name = f"raw__{key.replace('/', '__')}.pt"
        if not all((r / "layers" / name).exists() for r in runs):
            print(f"{key}: not kept by every run, skipped")
            continue
        raws = [torch.load(r / "layers" / name, weights_only=False) for r in runs]
        torch.save(average(raws), out / "layers" / name)
        print(f"{key}: {len(raws)} runs averaged", flush=True)
    shutil.copy(runs[0] / "results.json", out / "results.json")  # scene folders and seconds


if __name__ == "__main__":
    main()
