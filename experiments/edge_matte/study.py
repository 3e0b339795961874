"""The study behind `omnigame.io.edge_matte` (README here).

    # the matte's variants on the final layers of a score.py run made without it
    # (RUN/layers/*.npz), scored as score.py scores: effect IoU, association, PSNR
    # (add the word `synthetic` to score the run's synthetic scenes too)
    python experiments/edge_matte/study.py dev RUN [synthetic]
    # the same variants on a real clip's result folder: |frame - composite| where they act
    python experiments/edge_matte/study.py clip RESULT_FOLDER CLIP_FOLDER
    # where each object's lost alpha lies: its rim, faint tails, the rest (RUN as above)
    python experiments/edge_matte/study.py where RUN
    # a picture: each object's layer over a checkerboard without and with the matte
    python experiments/edge_matte/study.py figure RESULT_FOLDER CLIP_FOLDER FRAME OUT.png
    # association as score.py reports it, and with each mask's 2-pixel rim counted as the
    # object's (the rim's true alpha and colour are not determined by the frame: README)
    python experiments/edge_matte/study.py assoc RUN
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
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy, effect_iou_objects, psnr  # noqa: E402
from omnigame.io.alpha_fit import _behind_each  # noqa: E402
from omnigame.io.edge_matte import matte_edges  # noqa: E402
from omnigame.io.layers import over_checkerboard  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402
from omnigame.io.result_reader import load_result  # noqa: E402

ROOT = "/work/data/dev_benchmark"
SYNTH_ROOT = "/work/data/synth-test-64x112"
VARIANTS = {"none": None, "no prior (prior_weight=0)": dict(prior_weight=0.0),
            "default (prior 0.25, weight 0.1)": dict(), "weight 0.3": dict(prior_weight=0.3),
            "prior 0.2": dict(prior=0.2), "prior 0.3": dict(prior=0.3),
            "inset 2": dict(inset=2)}


def chw(a):
    return torch.from_numpy(np.array(a)).permute(0, 3, 1, 2).float() / 255


def composite(rgba, plate, order):
    """rgba (L, n, 4, H, W), plate (n, 3, H, W), order (n, L) -> (n, 3, H, W)."""
    return torch.stack([_behind_each(rgba[:, t], plate[t], order[t])[1]
                        for t in range(rgba.shape[1])])


def run_layers(run, synthetic=False):
    """(scene, video, ground truth, rgba (L, N, 4, H, W) float, plate (N, 3, H, W)) per scene;
    with `synthetic`, the synthetic test scenes of the run too."""
    paths = sorted(glob.glob(f"{run}/layers/dev__*.npz"))
    paths += sorted(glob.glob(f"{run}/layers/synth__*.npz")) if synthetic else []
    for path in paths:
        kind, scene = os.path.basename(path)[:-4].split("__")
        root = ROOT if kind == "dev" else SYNTH_ROOT
        video, z = read_input(f"{root}/{scene}"), np.load(path)
        rgba = torch.from_numpy(z["rgba"]).permute(0, 1, 4, 2, 3).float() / 255
        plate = chw(np.broadcast_to(z["background"], video.frames.shape))
        yield scene, video, load_ground_truth(f"{root}/{scene}"), rgba, plate


def dev(run, synthetic=""):
    """The variants on every scene of RUN; `synthetic` (any word): the synthetic ones too,
    whose means are printed apart."""
    scores = {name: {"dev": [], "synthetic": []} for name in VARIANTS}
    for scene, video, gt, rgba, plate in run_layers(run, synthetic=bool(synthetic)):
        frames, order = chw(video.frames), torch.from_numpy(video.order)
        kind = "dev" if scene[0:2].isdigit() and "_" in scene else "synthetic"
        line = []
        for name, kw in VARIANTS.items():
            out = rgba if kw is None else matte_edges(rgba, frames, plate, order, video.masks, **kw)
            u8 = (out.permute(0, 1, 3, 4, 2) * 255).round().byte().numpy()
            row = (effect_iou_objects(u8, gt.background, gt.effect_masks)["mean"],
                   association_accuracy(u8[..., 3], gt.layers[..., 3], video.masks)["mean"],
                   psnr(composite(out, plate, order).numpy(), frames.numpy(), max_value=1.0))
            scores[name][kind].append(row)
            line.append("%.3f/%.3f/%.2f" % row)
        print(f"{scene:30s}", "  ".join(line), flush=True)
    for kind in ("dev", "synthetic"):
        if scores["none"][kind]:
            print(f"\n{kind}:\n| variant | effect IoU | association | PSNR |\n|---|---|---|---|")
            for name, rows in scores.items():
                print("| %s | %.3f | %.3f | %.2f dB |" % (name, *np.nanmean(rows[kind], 0)))


def clip(result, clip_folder, every=6):
    layers, video = load_result(result), read_input(clip_folder)
    frames = range(0, video.num_frames, every)
    fr, plate = chw(video.frames[frames]), chw(layers.background[frames])
    order = torch.from_numpy(video.order[frames])
    rgba = torch.from_numpy(layers.rgba[:, frames]).permute(0, 1, 4, 2, 3).float() / 255
    before = composite(rgba, plate, order)
    for name, kw in list(VARIANTS.items())[1:]:
        out = matte_edges(rgba, fr, plate, order, video.masks[:, frames], **kw)
        acted = (out[:, :, 3] != rgba[:, :, 3]).any(0)
        err = lambda rec: (rec - fr).abs().sum(1)[acted].mean()
        print(f"{name:18s} pixels {int(acted.sum()):6d}  |frame - composite| there "
              f"{err(before):.4f} -> {err(composite(out, plate, order)):.4f}")


def where(run):
    """Each object's true alpha outside its mask that our layer misses, as shares of that alpha:
    on its rim (within 2 pixels of the mask), faint elsewhere (true alpha < 0.15), the rest."""
    print("| scene | object | rim | faint (< 0.15) | the rest |\n|---|---|---|---|---|")
    for scene, video, gt, rgba, _ in run_layers(run):
        ours, true = rgba[:, :, 3].numpy(), gt.layers[..., 3] / 255
        for k in range(len(true)):
            effect = true[k] * ~video.masks[k]
            lost = effect - np.minimum(ours[k], effect)
            rim = np.stack([ndimage.binary_dilation(m, iterations=2) & ~m for m in video.masks[k]])
            faint = ~rim & (effect < 0.15)
            share = [lost[m].sum() / effect.sum() for m in (rim, faint, ~rim & ~faint)]
            print(f"| {scene} | {k} | " + " | ".join(f"{s:.2f}" for s in share) + " |")


def figure(result, clip_folder, frame, out_png, zoom=3):
    layers, video = load_result(result), read_input(clip_folder)
    t = int(frame)
    fr, plate = chw(video.frames[t:t + 1]), chw(layers.background[t:t + 1])
    rgba = torch.from_numpy(layers.rgba[:, t:t + 1]).permute(0, 1, 4, 2, 3).float() / 255
    out = matte_edges(rgba, fr, plate, torch.from_numpy(video.order[t:t + 1]),
                      video.masks[:, t:t + 1])
    rows = []
    for k in range(len(rgba)):
        ys, xs = np.nonzero(video.masks[k, t])
        cut = (slice(max(ys.min() - 8, 0), ys.max() + 9), slice(max(xs.min() - 8, 0), xs.max() + 9))
        tiles = [video.frames[t][cut]] + [
            over_checkerboard((x[k, 0].permute(1, 2, 0) * 255).round().byte().numpy()[cut], cell=4)
            for x in (rgba, out)]
        rows.append(np.kron(np.concatenate(tiles, 1), np.ones((zoom, zoom, 1), np.uint8)))
    width = max(r.shape[1] for r in rows)
    pad = lambda r: np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255)
    iio.imwrite(out_png, np.concatenate([pad(r) for r in rows], 0))
    print(f"{out_png}: per object, frame | layer without the matte | with it")


def assoc(run):
    rows = []
    print("| scene | association | beyond the 2-pixel rim |\n|---|---|---|")
    for scene, video, gt, rgba, _ in run_layers(run):
        ours, true = rgba[:, :, 3].numpy(), gt.layers[..., 3] / 255
        grown = np.stack([[ndimage.binary_dilation(m, iterations=2) for m in obj]
                          for obj in video.masks])
        rows.append([association_accuracy(ours, true, m)["mean"] for m in (video.masks, grown)])
        print(f"| {scene} | {rows[-1][0]:.3f} | {rows[-1][1]:.3f} |")
    print("| mean | %.3f | %.3f |" % tuple(np.mean(rows, 0)))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("what", choices=["dev", "clip", "where", "assoc", "figure"])
    p.add_argument("paths", nargs="+")
    args = p.parse_args()
    {"dev": dev, "clip": clip, "where": where, "assoc": assoc, "figure": figure}[args.what](*args.paths)
