"""Headline figures, markdown tables and plots from the measurements of run.py."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from omnigame.evaluation.report import save_figure  # noqa: E402
from omnigame.io.files import write_text  # noqa: E402


def rows(dev: dict, group: str) -> List[dict]:
    """The successful measurements of one group, as flat dicts of params and results."""
    return [dict(m["params"], **m["result"]) for m in dev["measurements"]
            if m["params"]["group"] == group and "error" not in m["result"]]


def best_peak(dev: dict, threads: int) -> float:
    """The highest matmul rate seen at `threads` (before, after, beside each training run)."""
    seen = [dev["matmul_peak"][k]["gflops"] for k in ("before", "after")]
    return max(seen + [r["matmul_gflops"] for r in rows(dev, "train") if r["threads"] == threads])


def _pick(candidates: List[dict], **want) -> Optional[dict]:
    return next((r for r in candidates if all(r[k] == v for k, v in want.items())), None)


def _step(r: Optional[dict]) -> Optional[dict]:
    if r is None:
        return None
    keys = ("height", "width", "objects", "length", "batch", "seconds", "gflop", "gflops",
            "fraction_of_peak", "peak_mib")
    return {k: r[k] for k in keys}


GROWTH_KEYS = ("frames", "objects", "seconds", "fps", "peak_mib", "base_mib", "output_mib",
               "inputs_mib", "layers_mib", "float_layers_mib", "input_video_mib", "input_size")


def _growth_row(r: dict) -> dict:
    out = {k: r[k] for k in GROWTH_KEYS if k in r}
    out["increase_mib"] = r["peak_mib"] - r["base_mib"]  # over the process after setup
    return out


def growth(dev: dict) -> Dict[str, List[dict]]:
    """Time and memory of infer_layers by frames and objects, and of decompose by frames."""
    frames = [_growth_row(r) for r in rows(dev, "growth_frames")]
    objects = [_growth_row(r) for r in rows(dev, "growth_objects")]
    if objects:  # the base object count was measured in the frames sweep
        objects += [r for r in frames if r["frames"] == objects[0]["frames"]]
    return {"frames": frames, "objects": sorted(objects, key=lambda r: r["objects"]),
            "decompose": [_growth_row(r) for r in rows(dev, "growth_decompose")]}


def headline(dev: dict) -> dict:
    """The figures the README quotes: TTT and pretraining steps, inference, peak, growth."""
    train = rows(dev, "train")
    base = _pick(train, factor="base")
    batches = [r for r in train if r["factor"] in ("batch", "base")]  # at the run's threads
    big = max(batches, key=lambda r: r["batch"]) if batches else None
    infer = (rows(dev, "inference") or [None])[0]
    threads = base["threads"] if base else 1
    out = {"matmul_peak_gflops": best_peak(dev, threads), "threads": threads,
           "matmul_peak_all_cores_gflops": dev["matmul_peak"]["all_cores"]["gflops"],
           "ttt_step": _step(base),
           "pretrain_step": _step(big), "growth": growth(dev)}
    if base is not None:
        out["ttt_step"]["fraction_of_best_peak"] = base["gflops"] / out["matmul_peak_gflops"]
    if infer is not None:
        out["inference"] = {k: infer[k] for k in ("height", "width", "objects", "frames", "fps",
                                                  "peak_mib", "output_mib")}
    return out


# ---------------------------------------------------------------------------------------------
# Markdown

def table(header: List[str], body: List[list]) -> str:
    def fmt(v) -> str:
        if not isinstance(v, float):
            return str(v)
        return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(fmt(v) for v in row) + " |" for row in body])


def train_table(dev: dict) -> str:
    head = ["varied", "H×W", "objects L", "frames T (hidden)", "batch B", "threads", "s/step",
            "all timed steps (s)", "GFLOP/step", "GFLOP/s", "matmul peak GFLOP/s (beside)",
            "fraction of peak", "peak RSS MiB", "+MiB over setup", "load avg before"]
    body = [[r["factor"], f"{r['height']}×{r['width']}", r["objects"],
             f"{r['length']} ({r['length'] - 2})", r["batch"], r["threads"], r["seconds"],
             ", ".join(f"{t:.2f}" for t in r["seconds_all"]), r["gflop"], r["gflops"],
             r["matmul_gflops"], r["fraction_of_peak"], r["peak_mib"],
             r["peak_mib"] - r["base_mib"], r["loadavg_before"]]
            for r in rows(dev, "train")]
    return table(head, body)


def growth_tables(dev: dict) -> str:
    g = growth(dev)
    head = ["frames", "objects", "s", "frames/s", "peak RSS MiB", "+MiB over setup",
            "output tensor MiB", "+MiB minus output"]
    line = lambda r: [r["frames"], r["objects"], r["seconds"], r["fps"], r["peak_mib"],
                      r["increase_mib"], r["output_mib"], r["increase_mib"] - r["output_mib"]]
    dhead = ["frames", "input H×W", "s", "peak RSS MiB", "+MiB over setup",
             "input video MiB (in setup)",
             "uint8 Layers MiB", "float32 full-res layers MiB (transient)"]
    dline = lambda r: [r["frames"], "×".join(map(str, r["input_size"])), r["seconds"],
                       r["peak_mib"], r["increase_mib"], r["input_video_mib"], r["layers_mib"],
                       r["float_layers_mib"]]
    return "\n\n".join([
        "### infer_layers by video length\n\n" + table(head, [line(r) for r in g["frames"]]),
        "### infer_layers by object count\n\n" + table(head, [line(r) for r in g["objects"]]),
        "### decompose (steps=0) by video length\n\n" + table(dhead, [dline(r) for r in
                                                                    g["decompose"]])])


def headline_table(h: dict) -> str:
    body = [[f"fp32 matmul peak, {h['threads']} thread(s) (best of run)",
             f"{h['matmul_peak_gflops']:.1f} GFLOP/s"],
            ["fp32 matmul peak, one thread per core (start of run)",
             f"{h['matmul_peak_all_cores_gflops']:.1f} GFLOP/s"]]
    for name, key in [("TTT step", "ttt_step"), ("pretraining-like step", "pretrain_step")]:
        s = h.get(key)
        if s:
            where = (f"{s['height']}×{s['width']}, L={s['objects']}, T={s['length']}, "
                     f"B={s['batch']}")
            body += [[f"{name} ({where})", f"{s['seconds']:.3g} s, {s['gflop']:.3g} GFLOP, "
                      f"{s['gflops']:.3g} GFLOP/s = {s['fraction_of_peak']:.0%} of the matmul "
                      f"peak beside it, peak RSS {s['peak_mib']:.0f} MiB"]]
    if "inference" in h:
        i = h["inference"]
        body += [[f"inference ({i['height']}×{i['width']}, L={i['objects']}, {i['frames']} "
                  f"frames)", f"{i['fps']:.3g} frames/s, peak RSS {i['peak_mib']:.0f} MiB"]]
    return table(["", "value"], body)


def machine_line(doc: dict, dev: dict) -> str:
    m = dev["machine"]
    gpu = f", GPU {m['gpu']}" if "gpu" in m else ""
    return (f"{m['cpu']} ({m['logical_cores']} logical cores, AVX-512: {m['avx512']}){gpu}; "
            f"torch {m['torch']}, threads: {m['torch_threads']}; Python {m['python']}; "
            f"{m['platform']}")


def write_figures(dev: dict, out: Path, device: str) -> List[str]:
    """sweep.png (step time per factor) and growth.png (time and memory against frames)."""
    names = []
    train = rows(dev, "train")
    if train:
        fig, ax = plt.subplots(figsize=(7, 3))
        labels = [f"{r['factor']}: {r['height']}×{r['width']} L{r['objects']} T{r['length']} "
                  f"B{r['batch']} {r['threads']}th" for r in train]
        ax.bar(range(len(train)), [r["seconds"] for r in train])
        ax.set_xticks(range(len(train)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("s / training step")
        ax.set_title(f"Training step, one factor at a time ({device})")
        names.append(f"sweep_{device}.png")
        save_figure(fig, str(out / names[-1]))
    g = growth(dev)
    if g["frames"]:
        fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
        for key, label in [("frames", "infer_layers"), ("decompose", "decompose (steps=0)")]:
            x = [r["frames"] for r in g[key]]
            a.plot(x, [r["seconds"] for r in g[key]], "o-", label=label)
            b.plot(x, [r["increase_mib"] for r in g[key]], "o-", label=label)
        b.plot([r["frames"] for r in g["frames"]], [r["output_mib"] for r in g["frames"]], "k--",
               label="infer_layers output tensor")
        b.plot([r["frames"] for r in g["decompose"]], [r["layers_mib"] + r["float_layers_mib"]
               for r in g["decompose"]], "k:", label="decompose: uint8 + float32 layers")
        a.set(xlabel="frames", ylabel="seconds", title="time")
        b.set(xlabel="frames", ylabel="peak RSS over setup (MiB)", title="memory")
        b.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
        fig.tight_layout()
        names.append(f"growth_{device}.png")
        save_figure(fig, str(out / names[-1]))
    return names


NOTES = """Notes on reading these numbers:
- Times are wall-clock medians of the timed steps after one warm-up step (which is also the
  step whose FLOPs are counted). The machine is shared: the load average column says how busy
  it was, and the matmul peak is measured again beside each training configuration so that the
  fraction of peak compares two rates taken under the same load.
- FLOPs come from torch.utils.flop_counter (matmuls, convolutions, attention; multiply and add
  counted apart), forward and backward; elementwise work (normalisation, activations, the loss,
  AdamW) is not counted, so the fraction is of matrix work only.
- Peak memory on CPU is the peak resident set size (VmHWM) of a fresh process doing that one
  measurement, counted from the moment the model and inputs were built; it includes the
  Python/torch runtime, the model and the inputs. "+MiB over setup" is that peak minus the
  resident size at that moment: the memory the measured work itself needed.
- infer_layers keeps encodings only for the current window of frames, but returns every
  frame's layers as one float32 tensor (L, N, 4, H, W) (the "output tensor" column), which
  grows with the length, and briefly holds it twice (the per-chunk pieces and their
  concatenation). decompose keeps the whole input video and the uint8 Layers at the input
  resolution and upsamples all layers to float32 at once; those grow with the length too."""


def write_markdown(doc: dict, out: Path) -> None:
    parts = [f"# omnigame benchmark{' (quick mode: tiny model)' if doc['quick'] else ''}",
             f"Command: `{doc['command']}` (from the repository root), started {doc['started']}; "
             f"wall time {doc['wall_seconds'] / 60:.1f} min; load average (1, 5, 15 min) at the "
             f"start {tuple(round(x, 2) for x in doc['loadavg']['start'])}, at the end "
             f"{tuple(round(x, 2) for x in doc['loadavg']['end'])}."]
    for device, dev in doc["devices"].items():
        h = doc["summary"][device]
        figures = write_figures(dev, out, device)
        failed = [m["params"] for m in dev["measurements"] if "error" in m["result"]]
        parts += [f"## {device}", "Machine: " + machine_line(doc, dev), headline_table(h),
                  "### Training step, one factor at a time around the base point\n\n" +
                  train_table(dev), growth_tables(dev)]
        parts += [f"![{name}]({name})" for name in figures]
        if failed:
            parts.append(f"Failed measurements (see results.json): {failed}")
    parts.append(NOTES)
    write_text(str(out / "results.md"), "\n\n".join(parts) + "\n")
