"""Benchmark omnigame: training-step time, FLOP rate against the matmul peak, inference speed,
peak memory, and how time and memory grow with video length and object count.

    python experiments/benchmark/run.py                 # defaults: ~8 minutes on a 2-core CPU
    python experiments/benchmark/run.py --quick --out /tmp/bench   # tiny sizes, for tests

Writes results.json, results.md and two figures (sweep.png, growth.png) to --out (default:
this folder). Each measurement runs in a fresh process (harness.py), so its peak
memory is its own; see README.md for what each number means.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing omnigame
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from harness import matmul_peak, measure, measure_in_subprocess  # noqa: E402
from omnigame.io.files import write_json  # noqa: E402

import summary  # noqa: E402  (experiments/benchmark/summary.py: tables and figures)

log = logging.getLogger("benchmark")

# The base point is test-time training as the cpu preset runs it; each sweep moves one factor.
# One thread by default: on a shared machine a process with one thread per core stalls at
# every parallel region whenever another job holds a core (README: 6x slower under load).
FULL = dict(
    base=dict(height=128, width=224, objects=2, length=5, batch=4),
    sweep=dict(size=[(64, 112), (128, 224)], objects=[1, 2, 4], length=[3, 5, 7],
               batch=[1, 2, 4, 8], threads=[1, os.cpu_count()]),
    steps=3, tiny=False, matmul_n=2048,
    inference=dict(height=128, width=224, objects=2, frames=48),
    growth=dict(height=64, width=112, objects=[1, 2, 4], frames=[24, 48, 96, 192, 384],
                base_objects=2, base_frames=48, decompose_frames=[48, 192], input_scale=2),
)
QUICK = dict(
    base=dict(height=32, width=48, objects=2, length=5, batch=2),
    sweep=dict(size=[(32, 48)], objects=[1, 2], length=[5], batch=[2, 4], threads=[]),
    steps=1, tiny=True, matmul_n=256,
    inference=dict(height=32, width=48, objects=2, frames=16),
    growth=dict(height=32, width=48, objects=[1, 2], frames=[16, 32], base_objects=2,
                base_frames=16, decompose_frames=[16], input_scale=2),
)
BATCH_FRAMES = 8  # frames decoded per forward pass at inference (DecomposeConfig.batch_frames)


def train_plan(plan: dict, device: str) -> List[dict]:
    """The base point, then one factor at a time (each distinct configuration once)."""
    base, rows, seen = plan["base"], [], set()
    variants = [("base", None)] + [(k, v) for k, vs in plan["sweep"].items() for v in vs]
    for factor, value in variants:
        p = dict(base)
        if factor == "size":
            p["height"], p["width"] = value
        elif factor != "base":
            p[factor] = value
        key = tuple(sorted(p.items()))
        if key not in seen:
            seen.add(key)
            rows.append(dict(p, kind="train", group="train", factor=factor, device=device,
                             steps=plan["steps"], tiny=plan["tiny"], matmul_n=plan["matmul_n"]))
    return rows


def inference_plan(plan: dict, device: str) -> List[dict]:
    """Inference speed at the base size, then growth with frames and objects (and decompose)."""
    g, common = plan["growth"], dict(device=device, tiny=plan["tiny"], batch_frames=BATCH_FRAMES)
    size = dict(height=g["height"], width=g["width"])
    rows = [dict(plan["inference"], kind="inference", group="inference", **common)]
    rows += [dict(size, kind="inference", group="growth_frames", frames=n,
                  objects=g["base_objects"], **common) for n in g["frames"]]
    rows += [dict(size, kind="inference", group="growth_objects", frames=g["base_frames"],
                  objects=l, **common) for l in g["objects"] if l != g["base_objects"]]
    rows += [dict(size, kind="decompose", group="growth_decompose", frames=n,
                  objects=g["base_objects"], input_scale=g["input_scale"], **common)
             for n in g["decompose_frames"]]
    return rows


def machine(device: str) -> Dict[str, object]:
    """What the numbers were measured on."""
    cpuinfo = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    names = [l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")]
    info = {"cpu": names[0] if names else platform.processor(), "logical_cores": os.cpu_count(),
            "avx512": " avx512f" in cpuinfo, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "platform": platform.platform(), "device": device}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def run_all(rows: List[dict], in_process: bool = False) -> List[dict]:
    """Measure each row in its own process; a failure (e.g. out of memory) is kept, not fatal."""
    out = []
    for row in tqdm(rows, desc="benchmark", unit="run", dynamic_ncols=True):
        load = os.getloadavg()[0]
        try:
            result = measure(row) if in_process else measure_in_subprocess(row)
        except Exception as err:  # keep the other measurements; the error is in the results
            log.error("%s", err)
            result = {"error": str(err)[-2000:]}
        out.append({"params": row, "result": dict(result, loadavg_before=load)})
        log.info("%s %s", {k: row[k] for k in row if k not in ("kind", "device", "tiny")},
                 {k: v for k, v in result.items() if not isinstance(v, list)})
    return out


def benchmark(device: str, plan: dict, in_process: bool) -> dict:
    """Everything for one device: the matmul peak before and after, then every measurement."""
    all_cores = matmul_peak(device, plan["matmul_n"])  # torch's default: a thread per core
    torch.set_num_threads(plan["base"]["threads"])
    peak_before = matmul_peak(device, plan["matmul_n"])
    plan_rows = train_plan(plan, device) + inference_plan(plan, device)
    rows = run_all([dict({"threads": plan["base"]["threads"],
                          "precision": plan["base"].get("precision", "fp32")}, **r)
                    for r in plan_rows],
                   in_process)
    peak_after = matmul_peak(device, plan["matmul_n"])
    return {"machine": machine(device), "measurements": rows, "matmul_peak": {
        "before": peak_before, "after": peak_after, "all_cores": all_cores}}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny model and sizes (seconds)")
    parser.add_argument("--out", default=str(HERE), help="folder for results.json/.md, figures")
    parser.add_argument("--device", action="append", help="cpu, cuda (default: cpu, and cuda "
                        "when available); repeat for several")
    parser.add_argument("--steps", type=int, help="timed training steps per configuration")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per measurement "
                        "(default 1; the sweep also runs the base point with one per core)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "auto", "bf16"],
                        help="training steps' train.precision (default fp32, the default's; "
                        "auto: bfloat16 where the processor computes it natively)")
    parser.add_argument("--render", metavar="RESULTS_JSON", help="only rewrite results.md and "
                        "the figures from an earlier results.json (into --out)")
    parser.add_argument("--in-process", action="store_true", help="measure in this process "
                        "(faster; memory freed earlier but kept by the allocator may hide peaks)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.render:
        summary.write_markdown(json.loads(Path(args.render).read_text()), Path(args.out))
        return
    plan = dict(QUICK if args.quick else FULL)
    plan["base"] = dict(plan["base"], threads=args.threads, precision=args.precision)
    if args.steps:
        plan["steps"] = args.steps
    devices = args.device or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    start, load = time.perf_counter(), os.getloadavg()
    doc = {"command": "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:]),
           "quick": args.quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
           "plan": plan, "in_process": args.in_process,
           "devices": {d: benchmark(d, plan, args.in_process) for d in devices}}
    doc.update(wall_seconds=time.perf_counter() - start,
               loadavg={"start": load, "end": os.getloadavg()})
    doc["summary"] = {d: summary.headline(doc["devices"][d]) for d in devices}
    out = Path(args.out)
    write_json(str(out / "results.json"), doc)
    summary.write_markdown(doc, out)
    log.info("wrote %s (%.0f s)", out / "results.md", doc["wall_seconds"])


if __name__ == "__main__":
    main()
