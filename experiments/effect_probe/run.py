"""The disc-and-shadow probe: does `decompose` put a shadow outside the mask into the layer?

    python experiments/effect_probe/run.py --seeds 0,1,2 steps=150 / init=scratch steps=300

Each --opts group is one setting (key=value options of omnigame.decompose). Prints and writes
(--out, JSON) the mean alpha on the shadow, stray alpha far from disc and shadow, and PSNR.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import omnigame  # noqa: E402
from omnigame.io.files import write_text  # noqa: E402
from omnigame.synthetic.probes import disc_shadow_video  # noqa: E402


def measure(seed: int, options: dict) -> dict:
    video, shadow = disc_shadow_video(seed)
    start = time.perf_counter()
    layers = omnigame.decompose(video, progress=False, **options)
    alpha = layers.alpha[0]
    near = ndimage.binary_dilation(shadow | video.masks[0], iterations=6, axes=(1, 2))
    return {"seed": seed, "shadow_alpha": float(alpha[shadow].mean()),
            "stray_alpha": float(alpha[~near].mean()),
            "object_alpha": float(alpha[video.masks[0]].mean()),
            "psnr": layers.metrics["reconstruction_psnr"],
            "seconds": round(time.perf_counter() - start, 1)}


def parse(groups):
    return [{k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in g)} for g in groups]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0", help="comma-separated, e.g. 0,1,2")
    ap.add_argument("--out", type=Path)
    ap.add_argument("opts", nargs="*", help="options; / separates settings")
    args = ap.parse_args()
    groups, cur = [], []
    for tok in args.opts + ["/"]:
        if tok == "/":
            groups.append(cur) if cur or not groups else None
            cur = []
        else:
            cur.append(tok)
    rows = []
    for options in parse(groups):
        for seed in map(int, args.seeds.split(",")):
            row = dict(measure(seed, options), options=options)
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.out:
        write_text(args.out, json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
