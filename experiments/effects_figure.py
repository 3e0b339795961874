"""A picture of where the effects went: each object's layer with its input mask outlined.

Anything a layer holds outside the red outline (a shadow, a reflection) is an effect that the
object took. Rows: a few frames; columns: input | each layer over a checkerboard | each alpha.

    python experiments/effects_figure.py <decompose out_dir> <input video or folder> out.png
"""
from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from omnigame.io.result_reader import load_layers  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402
from omnigame.evaluation.report import pick_frames, save_figure  # noqa: E402
from omnigame.io.layers import over_checkerboard  # noqa: E402


def effects_figure(layers, video, path: str, num_frames: int = 3) -> None:
    """layers: Layers; video: the Video it was made from (frames and masks)."""
    L = layers.num_objects
    rows = pick_frames(video.num_frames, num_frames)
    titles = ["input"] + [f"layer {n}" for n in layers.object_names] + \
        [f"alpha {n}" for n in layers.object_names]
    H, W = video.frames.shape[1:3]
    fig, axes = plt.subplots(len(rows), len(titles), squeeze=False,
                             figsize=(2.4 * len(titles), 2.4 * len(rows) * H / W + 0.3))
    for r, t in enumerate(rows):
        images = [video.frames[t]] + [over_checkerboard(layers.rgba[k, t]) for k in range(L)]
        images += [layers.rgba[k, t, ..., 3] for k in range(L)]
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            if c > 0:  # the input mask of this column's object, in red
                ax.contour(video.masks[(c - 1) % L, t], levels=[0.5], colors="red",
                           linewidths=0.6)
            ax.set_xticks([]), ax.set_yticks([])
            axes[0, c].set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(f"frame {t}", fontsize=8)
    fig.suptitle("red: the object's input mask; outside it, the layer holds the object's "
                 "effects", fontsize=8)
    save_figure(fig, path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("result", help="a finished omnigame-decompose output folder")
    p.add_argument("video", help="the input it was made from")
    p.add_argument("out", help="PNG to write")
    p.add_argument("--frames", type=int, default=3)
    args = p.parse_args()
    video = read_input(args.video)
    layers = load_layers(args.result, object_names=video.object_names)
    if layers.rgba.shape[1:4] != video.frames.shape[:3]:
        raise SystemExit(f"{args.result} does not match {args.video}: layers "
                         f"{layers.rgba.shape[1:4]}, video {video.frames.shape[:3]}")
    effects_figure(layers, video, args.out, args.frames)


if __name__ == "__main__":
    main()
