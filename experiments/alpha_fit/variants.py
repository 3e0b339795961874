"""The study behind `omnigame.io.alpha_fit` (README here): variants of the fit, applied to
layers already computed, so that no test-time training is re-run.

    # dev benchmark layers saved by score.py (RUN/layers/*.npz), IoU per scene and variant
    python experiments/alpha_fit/variants.py dev RUN [RUN ...]
    # a real clip: the raw layers of a decompose run (fit_alpha=false detail_transfer=false)
    python experiments/alpha_fit/variants.py clip RAW.npz CLIP_FOLDER OUT.png

Variants: A = a hard-edged square neighbourhood of `reach` pixels around alpha > 0.02 (the first
version); B = the step fading with the distance (the default now); C = B, only where the
layer's colour explains the residual's direction; D = B around alpha > 0.1 only.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.evaluation.metrics import visible_footprint  # noqa: E402
from omnigame.io.alpha_fit import _behind_each  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402
from omnigame.io.result_writer import transfer_detail  # noqa: E402

VARIANTS = {"A": {}, "B": dict(feather=True), "C": dict(feather=True, explain=True),
            "D": dict(level=0.1, feather=True)}


def weight_near(alpha, level, reach, feather):
    seed = (alpha > level).float()[None]
    if not feather:
        return (F.max_pool2d(seed, 2 * reach + 1, 1, reach)[0] > 0).float()
    w, grown = seed, seed
    for d in range(1, reach + 1):
        grown = F.max_pool2d(grown, 3, 1, 1)
        w = torch.maximum(w, grown * (1 - d / (reach + 1)))
    return w[0]


def fit(rgba, frames, background, order, masks, reach, level=0.02, feather=False,
        explain=False, min_contrast=0.08):
    """rgba (L, n, 4, H, W); frames, background (n, 3, H, W); order (n, L); masks (L, n, H, W)."""
    out, own = rgba.clone(), torch.from_numpy(np.ascontiguousarray(masks)).bool()
    for t in range(rgba.shape[1]):
        behind, recon = _behind_each(out[:, t], background[t], order[t])
        residual = frames[t] - recon
        shows = torch.ones(1, *rgba.shape[-2:])
        for obj in order[t].flip(0).tolist():
            v = (out[obj, t, :3] - behind[obj]) * shows
            a, vv = out[obj, t, 3:], (v ** 2).sum(0, keepdim=True)
            w = weight_near(a, level, reach, feather) * (~own[obj, t][None] & (vv > min_contrast ** 2))
            rv = (residual * v).sum(0, keepdim=True)
            if explain:  # the share of the residual the layer's colour can explain
                cos2 = rv ** 2 / (vv * (residual ** 2).sum(0, keepdim=True)).clamp_min(1e-12)
                w = w * ((cos2 - 0.3) / 0.4).clamp(0, 1)
            new = (a + w * rv / vv.clamp_min(1e-8)).clamp(0, 1)
            residual = residual - (new - a) * v
            out[obj, t, 3:], shows = new, shows * (1 - new)
    return out


def chw(a):
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float() / 255


def dev(runs, root="/work/data/dev_benchmark"):
    scores = {k: [] for k in ["none", *VARIANTS]}
    for f in sorted(p for run in runs for p in glob.glob(f"{run}/layers/dev__*.npz")):
        scene = os.path.basename(f)[5:-4]
        video = read_input(f"{root}/{scene}")
        true_bg = iio.imread(f"{root}/{scene}/gt/bg.png")[..., :3]
        truth = [np.stack([iio.imread(p) for p in sorted(glob.glob(f"{root}/{scene}/gt/effect_mask/{o}/*.png"))]) > 127
                 for o in sorted(os.listdir(f"{root}/{scene}/gt/effect_mask"))]
        z = np.load(f)
        rgba = torch.from_numpy(z["rgba"]).permute(0, 1, 4, 2, 3).float() / 255
        bg = chw(np.broadcast_to(z["background"], video.frames.shape))
        line = scene[:26]
        for name, kw in [("none", None), *VARIANTS.items()]:
            out = rgba if kw is None else fit(rgba, chw(video.frames), bg,
                                              torch.from_numpy(video.order), video.masks, 3, **kw)
            o8 = (out.permute(0, 1, 3, 4, 2) * 255).round().byte().numpy()
            ious = []
            for layer, t in zip(o8, truth):
                p = visible_footprint(layer, true_bg) > 0
                t = t[..., 0] if t.ndim == 4 else t
                ious.append((p & t).sum() / (p | t).sum())
            scores[name] += ious
            line += f"  {name} {np.mean(ious):.3f}"
        print(line, flush=True)
    print("mean over objects:", {k: round(float(np.mean(v)), 3) for k, v in scores.items()})


def clip(raw, folder, out, frames=(0, 42, 84), reach=8):
    z = np.load(raw)
    video = read_input(folder)
    ts = list(frames)
    rgba = torch.from_numpy(z["rgba"][:, ts]).permute(0, 1, 4, 2, 3).float() / 255
    fr, bg = chw(video.frames[ts]), chw(z["background"][ts])
    order = torch.from_numpy(z["order"][ts])
    rows = []
    for name, kw in [("raw", None), *VARIANTS.items()]:
        layers = rgba if kw is None else fit(rgba, fr, bg, order, video.masks[:, ts], reach, **kw)
        recon = torch.stack([_behind_each(layers[:, i], bg[i], order[i])[1] for i in range(len(ts))])
        layers = transfer_detail(layers, fr, recon, order)
        recon = torch.stack([_behind_each(layers[:, i], bg[i], order[i])[1] for i in range(len(ts))])
        print(name, "PSNR %.2f dB" % (-10 * torch.log10(((recon - fr) ** 2).mean())).item())
        a = layers[:, :, 3:]
        check = (torch.arange(fr.shape[-2])[:, None] // 8 + torch.arange(fr.shape[-1]) // 8) % 2 * 0.2 + 0.6
        over = a * layers[:, :, :3] + (1 - a) * check
        tiles = [t for i in range(len(ts)) for t in (*over[:, i], recon[i])]
        rows.append(torch.cat(tiles, -1))
    image = (torch.cat(rows, -2).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    iio.imwrite(out, image[::2, ::2])


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dev")
    d.add_argument("runs", nargs="+")
    c = sub.add_parser("clip")
    c.add_argument("raw")
    c.add_argument("folder")
    c.add_argument("out")
    args = p.parse_args()
    dev(args.runs) if args.cmd == "dev" else clip(args.raw, args.folder, args.out)
