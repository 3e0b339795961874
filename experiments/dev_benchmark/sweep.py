"""Score several settings on the dev benchmark side by side, then one table of them all.

    python experiments/dev_benchmark/sweep.py SETTINGS.json --out RUNS [--shards 8] [--parallel 8]

SETTINGS.json maps a name to score.py's arguments, e.g.
    {"default": ["device=cuda"], "lr1e3": ["device=cuda", "lr=1e-3", "--synthetic=4"]}
(flags as --flag=value); --common adds arguments to every setting, e.g. on the GPU machine,
where the built scenes travel inside the repository (a git-excluded folder):
    --common "device=cuda --scenes=devrun/dev_benchmark --synthetic-dir=devrun/synth-test-64x112"
Each (setting, shard) is one `score.py --out RUNS/NAME --shard i/n`
process, `--parallel` at a time, each with OMP_NUM_THREADS=--threads: on a 16-core GPU machine
eight shards score the twelve dev scenes in about 40 s. A process that fails is reported and the
rest go on; a re-run skips what is scored. RUNS/sweep.md gets one row per setting: means over
the dev scenes, the synthetic ones if scored, and each dev scene's association.
--live DIR also scores every setting on the scenes built in DIR (the live set, objects over
moving footage: `build.py --set live`), as NAME_live: still plates and moving ones pull some
settings apart (more steps: more association on the first, sea in the layers on the second).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from omnigame.io.files import write_text  # noqa: E402


def score_command(run: Path, args: list, shard: str) -> list:
    """score.py's command line: flags (--k=v) first, then the decompose options."""
    flags = [part for a in args if a.startswith("--") for part in a.split("=", 1)]
    options = [a for a in args if not a.startswith("--")]
    return [sys.executable, str(HERE / "score.py"), "--out", str(run), "--shard", shard,
            *flags, *options]


def run_one(run: Path, args: list, shard: str, threads: int) -> str:
    """One shard of one setting; returns a line for the log."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(score_command(run, args, shard), env=env, capture_output=True, text=True)
    if done.returncode:
        return f"{run.name} {shard} FAILED:\n{done.stderr[-1500:]}"
    return f"{run.name} {shard} done"


def row(name: str, results: dict) -> str:
    """Means of one setting's results.json as a markdown row."""
    scenes = results["scenes"]
    dev = sorted(k for k in scenes if k.startswith("dev/") and "ours" in scenes[k])
    syn = [k for k in scenes if k.startswith("synth/") and "ours" in scenes[k]]
    mean = lambda keys, f: np.mean([np.nanmean(scenes[k]["ours"][f]) for k in keys])  # noqa: E731
    m = results["means"]["dev"]
    kinds = m.get("per_kind", {})
    per_scene = " ".join(f"{np.nanmean(scenes[k]['ours']['association']):.2f}" for k in dev)
    synthetic = f"{mean(syn, 'iou'):.3f} / {mean(syn, 'association'):.3f}" if syn else "-"
    return (f"| {name} | {len(dev)} | {m['iou']:.3f} | {kinds.get('shadow', {}).get('iou', np.nan):.3f} "
            f"| {kinds.get('reflection', {}).get('iou', np.nan):.3f} | {m['assoc']:.3f} "
            f"| {m['psnr']:.2f} | {synthetic} | {per_scene} |")


def table(out: Path, names: list) -> str:
    lines = ["| setting | dev scenes | IoU | shadows | reflections | association | PSNR "
             "| synthetic IoU / assoc. | association per dev scene |", "|---" * 9 + "|"]
    for name in names:
        path = out / name / "results.json"
        if path.exists() and "dev" in json.loads(path.read_text()).get("means", {}):
            lines.append(row(name, json.loads(path.read_text())))
    return "\n".join(lines) + "\n"


def with_live(settings: dict, live) -> dict:
    """Each setting, then (if `live` names a folder of built scenes) the same on those scenes,
    without the synthetic ones (scored once, with the dev scenes)."""
    if live is None:
        return settings
    out = {}
    for name, args in settings.items():
        out[name] = args
        out[f"{name}_live"] = [a for a in args if not a.startswith("--synthetic")] + [f"--scenes={live}"]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("settings", help="JSON file: {name: [score.py arguments]}")
    p.add_argument("--out", required=True, help="one score.py --out folder per setting goes here")
    p.add_argument("--shards", type=int, default=8)
    p.add_argument("--parallel", type=int, default=8, help="processes at a time")
    p.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS per process")
    p.add_argument("--common", default="", help="score.py arguments for every setting")
    p.add_argument("--live", default=None, help="also score each setting on these scenes, as NAME_live")
    args = p.parse_args()
    settings = with_live(json.loads(Path(args.settings).read_text()), args.live)
    out = Path(args.out)
    jobs = [(out / name, args.common.split() + a, f"{i}/{args.shards}")
            for name, a in settings.items()
            for i in range(args.shards)]
    with ThreadPoolExecutor(args.parallel) as pool:
        for line in pool.map(lambda j: run_one(*j, args.threads), jobs):
            print(line, flush=True)
    summary = table(out, list(settings))
    write_text(out / "sweep.md", summary)
    print(summary)


if __name__ == "__main__":
    main()
