"""The study behind `omnigame.io.shadow_grow` and the shadow-free plate (README here).

    # how much of the effects each plate holds, against the scenes' clean plates
    python experiments/shadow_grow/study.py plate
    # shadow_grow variants on layers already computed by score.py (RUN/layers/*.npz)
    python experiments/shadow_grow/study.py grow RUN
    # the variants on a real clip's raw layers (a decompose run with fit_alpha=false,
    # grow_shadow=false, detail_transfer=false, saved as RAW.npz with rgba, background, order)
    python experiments/shadow_grow/study.py clip RAW.npz CLIP_FOLDER OUT.png
    # the still-background guard (evening of 2026-11-22): grow once more on a run's final
    # layers, dev and synthetic scenes, without and with the guard
    python experiments/shadow_grow/study.py still RUN
    # what each variant adds on a real clip's result (a decompose out_dir): red/cyan = alpha added
    python experiments/shadow_grow/study.py still-clip OUT_DIR CLIP_FOLDER OUT.png
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.data.background import median_background  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy, visible_footprint  # noqa: E402
from omnigame.io.alpha_fit import _behind_each, fit_effect_alpha  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402
from omnigame.io.result_writer import transfer_detail  # noqa: E402
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.evaluation.metrics import effect_iou_objects  # noqa: E402
from omnigame.io.result_reader import load_result  # noqa: E402
from omnigame.io.shadow_grow import grow_shadows, still_noise  # noqa: E402

ROOT = "/work/data/dev_benchmark"
SYNTH_ROOT = "/work/data/synth-test-64x112"
# grown again on final layers: no guard takes any change down to 0.02 everywhere
STILL_VARIANTS = {"none": None, "any change, no guard": dict(shade=-1.0, min_residual=0.02),
                  "default (still guard)": "still"}
# shade -1: any change in colour is taken (no shadow test)
VARIANTS = {"none": None, "any change": dict(shade=-1.0), "shade 0.9": dict(shade=0.9),
            "shade 0.97 (default)": dict(shade=0.97)}


def chw(a):
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float() / 255


def truth(scene):
    """True footprints (L, N, H, W) bool, true alpha (L, N, H, W) uint8, clean plate (H, W, 3)."""
    d = f"{ROOT}/{scene}"
    objs = sorted(os.listdir(f"{d}/gt/effect_mask"))
    read = lambda o, what: np.stack([iio.imread(p) for p in sorted(glob.glob(f"{d}/gt/{what}/{o}/*.png"))])
    foot = np.stack([read(o, "effect_mask") > 127 for o in objs])
    foot = foot[..., 0] if foot.ndim == 5 else foot
    alpha = np.stack([read(o, "layers") for o in objs])[..., 3]
    return foot, alpha, iio.imread(f"{d}/gt/bg.png")[..., :3]


def plate():
    """Share of effect pixels (outside the masks, over all frames) where the plate is off the
    clean plate by more than 4% of full scale, and the same share elsewhere."""
    rows = []
    for d in sorted(glob.glob(f"{ROOT}/*/")):
        scene = os.path.basename(d[:-1])
        video, (foot, _, clean) = read_input(d), truth(scene)
        effect = foot.any(0) & ~video.masks.any(0)
        other = ~foot.any(0) & ~video.masks.any(0)
        line = [scene]
        for shadow_free in (False, True):
            est = median_background(video.frames, video.masks, None, 200, 2, shadow_free)[0]
            off = np.broadcast_to(np.abs(est.astype(float) - clean).max(-1) > 0.04 * 255, effect.shape)
            line += [off[effect].mean(), off[other].mean()]
        rows.append(line)
        print("%-28s median %.2f / %.3f   shadow-free %.2f / %.3f" % tuple(line), flush=True)
    print("mean", np.mean([r[1:] for r in rows], 0).round(3))


def grow(runs):
    scores = {k: ([], [], []) for k in VARIANTS}
    for f in sorted(p for run in runs for p in glob.glob(f"{run}/layers/dev__*.npz")):
        scene = os.path.basename(f)[5:-4]
        video, (foot, alpha, clean) = read_input(f"{ROOT}/{scene}"), truth(scene)
        kinds = json.loads(Path(f"{ROOT}/{scene}/manifest.json").read_text())["effect_kinds"]
        z = np.load(f)
        rgba = torch.from_numpy(z["rgba"]).permute(0, 1, 4, 2, 3).float() / 255
        bg = chw(np.broadcast_to(z["background"], video.frames.shape))
        line = scene[:26]
        for name, kw in VARIANTS.items():
            out = rgba if kw is None else grow_shadows(rgba, chw(video.frames), bg,
                                                       torch.from_numpy(video.order), video.masks, **kw)
            o8 = (out.permute(0, 1, 3, 4, 2) * 255).round().byte().numpy()
            ious = [((visible_footprint(l, clean) > 0) & t).sum() / ((visible_footprint(l, clean) > 0) | t).sum()
                    for l, t in zip(o8, foot)]
            assoc = association_accuracy(o8[..., 3], alpha, video.masks)["per_object"]
            scores[name][0].append(np.mean(ious))
            scores[name][1].append(np.nanmean(assoc))
            scores[name][2].extend(i for i, k in zip(ious, kinds) if k == "shadow")
            line += f"  {name} {np.mean(ious):.3f}/{np.nanmean(assoc):.3f}"
        print(line, flush=True)
    for name, (iou, assoc, shadows) in scores.items():
        print(f"{name:22s} IoU {np.mean(iou):.3f}  shadows {np.mean(shadows):.3f}  association {np.mean(assoc):.3f}")


def clip(raw, folder, out, frames=(0, 42, 84)):
    z, video, ts = np.load(raw), read_input(folder), list(frames)
    rgba = torch.from_numpy(z["rgba"][:, ts]).permute(0, 1, 4, 2, 3).float() / 255
    fr, bg, order, masks = chw(video.frames[ts]), chw(z["background"][ts]), torch.from_numpy(z["order"][ts]), video.masks[:, ts]
    H, W = fr.shape[-2:]
    fitted = fit_effect_alpha(rgba, fr, bg, order, masks, int(np.ceil(1.5 * max(H / 64, W / 112))))
    rows = []
    for name, kw in VARIANTS.items():
        layers = fitted if kw is None else grow_shadows(fitted, fr, bg, order, masks, **kw)
        recon = torch.stack([_behind_each(layers[:, i], bg[i], order[i])[1] for i in range(len(ts))])
        layers = transfer_detail(layers, fr, recon, order)
        a = layers[:, :, 3:]
        check = (torch.arange(H)[:, None] // 8 + torch.arange(W) // 8) % 2 * 0.2 + 0.6
        over = a * layers[:, :, :3] + (1 - a) * check
        tiles = []
        for i, t in enumerate(ts):
            for k in range(len(layers)):
                ys, xs = np.nonzero(video.masks[k, t])
                y0 = int(np.clip(ys.mean() - 80, 0, H - 200))
                x0 = int(np.clip(xs.mean() - 140, 0, W - 280))
                tiles.append(over[k, i, :, y0:y0 + 200, x0:x0 + 280])
        rows.append(torch.cat(tiles, -1))
        print(name)
    iio.imwrite(out, (torch.cat(rows, -2).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def _grow_variant(kw, rgba, frames, plate, order, video):
    if kw is None:
        return rgba
    if kw == "still":
        u8 = lambda x: (x.permute(0, 2, 3, 1) * 255).round().byte().numpy()
        kw = dict(still=still_noise(u8(frames), u8(plate), video.masks))
    return grow_shadows(rgba, frames, plate, order, video.masks, **kw)


def still(run):
    """STILL_VARIANTS on every dev and synthetic scene of RUN: effect IoU / association / PSNR."""
    scores = {name: {"dev": [], "synthetic": []} for name in STILL_VARIANTS}
    for path in sorted(glob.glob(f"{run}/layers/*.npz")):
        kind, scene = os.path.basename(path)[:-4].split("__")
        folder = f"{ROOT if kind == 'dev' else SYNTH_ROOT}/{scene}"
        video, gt, z = read_input(folder), load_ground_truth(folder), np.load(path)
        rgba = torch.from_numpy(z["rgba"]).permute(0, 1, 4, 2, 3).float() / 255
        frames, order = chw(video.frames), torch.from_numpy(video.order)
        plate = chw(np.broadcast_to(z["background"], video.frames.shape))
        line = scene[:26]
        for name, kw in STILL_VARIANTS.items():
            out = _grow_variant(kw, rgba, frames, plate, order, video)
            o8 = (out.permute(0, 1, 3, 4, 2) * 255).round().byte().numpy()
            recon = torch.stack([_behind_each(out[:, t], plate[t], order[t])[1] for t in range(len(out[0]))])
            row = (effect_iou_objects(o8, gt.background, gt.effect_masks)["mean"],
                   association_accuracy(o8[..., 3], gt.layers[..., 3], video.masks)["mean"],
                   float(10 * np.log10(1 / ((recon - frames) ** 2).mean())))
            scores[name]["dev" if kind == "dev" else "synthetic"].append(row)
            line += f"  {name} {row[0]:.3f}/{row[1]:.3f}/{row[2]:.1f}"
        print(line, flush=True)
    for name, sets in scores.items():
        print(name, {k: np.round(np.nanmean(v, 0), 3).tolist() for k, v in sets.items() if v})


def still_clip(result, folder, out, rows=4):
    """Frames of a real clip with the alpha each variant adds to the result's layers."""
    lay, video = load_result(result), read_input(folder)
    frames, plate = chw(video.frames), chw(lay.background)
    picks = list(range(0, len(frames), max(1, len(frames) // rows)))[:rows]
    guard = still_noise(video.frames, lay.background, video.masks)
    tiles = []
    for name, kw in list(STILL_VARIANTS.items())[1:]:
        column = []
        for t in picks:
            rgba = torch.from_numpy(lay.rgba[:, t:t + 1]).permute(0, 1, 4, 2, 3).float() / 255
            order = torch.from_numpy(lay.order[t:t + 1])
            kw_t = dict(still=guard) if kw == "still" else kw
            grown = grow_shadows(rgba, frames[t:t + 1], plate[t:t + 1], order, video.masks[:, t:t + 1], **kw_t)
            added = (grown[:, 0, 3] - rgba[:, 0, 3]).clamp_min(0).numpy()
            img = video.frames[t].astype(float)
            for k, colour in enumerate([(255, 0, 0), (0, 255, 255), (255, 0, 255)][:len(added)]):
                a = np.clip(3 * added[k], 0, 1)[..., None]
                img = img * (1 - a) + np.array(colour) * a
            column.append(img.astype(np.uint8))
        tiles.append(np.concatenate(column, 0))
        print(name)
    iio.imwrite(out, np.concatenate(tiles, 1))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("plate")
    g = sub.add_parser("grow")
    g.add_argument("runs", nargs="+")
    c = sub.add_parser("clip")
    c.add_argument("raw")
    c.add_argument("folder")
    c.add_argument("out")
    s = sub.add_parser("still")
    s.add_argument("run")
    sc = sub.add_parser("still-clip")
    sc.add_argument("result")
    sc.add_argument("folder")
    sc.add_argument("out")
    args = p.parse_args()
    {"plate": plate, "grow": lambda: grow(args.runs),
     "clip": lambda: clip(args.raw, args.folder, args.out),
     "still": lambda: still(args.run),
     "still-clip": lambda: still_clip(args.result, args.folder, args.out)}[args.cmd]()
