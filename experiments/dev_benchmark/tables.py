"""results.md of score.py: one row per scene, a mean row per set, and means per effect kind.

Scene figures are means over the scene's objects; a set's mean is the mean over its scenes
(each scene counts once); per-kind figures are means over all objects of that kind, since a
scene may mix a shadow and a reflection. nan (no value) is shown as '-'.
"""
from __future__ import annotations

import warnings
from typing import Dict, List, Tuple

import numpy as np


def _mean(values) -> float:
    values = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def _f(x, digits: int = 3) -> str:
    return "-" if x is None or np.isnan(x) else f"{x:.{digits}f}"


def scene_figures(row: dict) -> Dict[str, float]:
    """Mean over objects (IoU, association) and scene-level PSNR / seconds, ours and floor."""
    ours, floor = row.get("ours", {}), row["floor"]
    return {"iou": _mean(ours.get("iou", [])), "floor_iou": _mean(floor["iou"]),
            "assoc": _mean(ours.get("association", [])), "floor_assoc": _mean(floor["association"]),
            "psnr": ours.get("psnr", float("nan")), "floor_psnr": floor["psnr"],
            "seconds": ours.get("seconds", float("nan"))}


def kind_figures(rows: List[dict]) -> Dict[str, Dict[str, float]]:
    """Per effect kind: object count, mean IoU / association, ours and floor."""
    acc: Dict[str, Dict[str, list]] = {}
    for row in rows:
        ours, floor = row.get("ours", {}), row["floor"]
        for i, kind in enumerate(row["kinds"]):
            a = acc.setdefault(kind, {"iou": [], "floor_iou": [], "assoc": [], "floor_assoc": []})
            a["floor_iou"].append(floor["iou"][i])
            a["floor_assoc"].append(floor["association"][i])
            if ours:
                a["iou"].append(ours["iou"][i])
                a["assoc"].append(ours["association"][i])
    return {k: {"objects": len(v["floor_iou"]), **{n: _mean(x) for n, x in v.items()}}
            for k, v in sorted(acc.items())}


HEAD = ("| scene | obj | kinds | effect IoU | floor IoU | assoc | floor assoc | PSNR | floor PSNR "
        "| s |\n|---|---|---|---|---|---|---|---|---|---|")


def _line(name: str, obj, kinds: str, f: Dict[str, float]) -> str:
    return (f"| {name} | {obj} | {kinds} | {_f(f['iou'])} | {_f(f['floor_iou'])} | {_f(f['assoc'])} "
            f"| {_f(f['floor_assoc'])} | {_f(f['psnr'], 2)} | {_f(f['floor_psnr'], 2)} "
            f"| {_f(f['seconds'], 1)} |")


def markdown(scenes: dict, meta: dict) -> Tuple[str, dict]:
    """(results.md text, means dict for results.json)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _markdown(scenes, meta)


def _markdown(scenes: dict, meta: dict) -> Tuple[str, dict]:
    setting = "floor only (no decomposition)" if meta["floor_only"] else \
        "decompose(" + ", ".join(f"{k}={v}" for k, v in meta["options"].items()) + ")"
    lines = [f"# Dev benchmark scores: {setting}", "", HEAD]
    means: dict = {}
    for set_name in ("dev", "synth"):
        keys = [k for k in scenes if k.startswith(set_name + "/")]
        if not keys:
            continue
        figs = {k: scene_figures(scenes[k]) for k in keys}
        for k in keys:
            lines.append(_line(k.split("/", 1)[1], scenes[k]["objects"],
                               " ".join(scenes[k]["kinds"]), figs[k]))
        mean = {n: _mean([f[n] for f in figs.values()]) for n in next(iter(figs.values()))}
        lines.append(_line(f"**mean {set_name} ({len(keys)} scenes)**", "", "", mean))
        means[set_name] = {"scenes": len(keys), **mean,
                           "per_kind": kind_figures([scenes[k] for k in keys])}
    lines += ["", "Per effect kind (mean over objects of that kind):", "",
              "| set | kind | objects | effect IoU | floor IoU | assoc | floor assoc |",
              "|---|---|---|---|---|---|---|"]
    for set_name, m in means.items():
        for kind, f in m["per_kind"].items():
            lines.append(f"| {set_name} | {kind} | {f['objects']} | {_f(f['iou'])} | "
                         f"{_f(f['floor_iou'])} | {_f(f['assoc'])} | {_f(f['floor_assoc'])} |")
    return "\n".join(lines) + "\n", means
