"""A picture of where the effects went: each object's layer with its input mask outlined.

Anything a layer holds outside the red outline (a shadow, a reflection) is an effect that the
object took. Rows: a few frames; columns: input | each layer over a checkerboard | each alpha
(white = opaque), every layer and alpha with its object's input mask outlined in red.

    python experiments/effects_figure.py <decompose out_dir> <input video or folder> out.png
"""
from __future__ import annotations

import argparse

import numpy as np

from omnigame.io.readers import read_input
from omnigame.io.result_reader import load_layers
from omnigame.io.sheets import contact_sheet, layer_tiles, outline, pick_frames

RED = np.array([[255, 0, 0]], np.uint8)


def effects_figure(layers, video, path: str, num_frames: int = 3, height: int = 200) -> None:
    """layers: Layers; video: the Video it was made from (frames and masks)."""
    L, H = layers.num_objects, video.frames.shape[1]
    height = min(height, H)
    width = max(1, round(H / height))  # the outline stays about a pixel wide once shrunk
    picks = pick_frames(video.num_frames, num_frames)
    rows = []
    for t in picks:
        tiles = layer_tiles(video.frames[t], layers.rgba[:, t])
        rows.append(tiles[:1] + [outline(tile, video.masks[k % L, t][None], RED, width)
                                 for k, tile in enumerate(tiles[1:])])
    names = layers.object_names
    titles = ["input"] + [f"layer {n}" for n in names] + [f"alpha {n}" for n in names]
    contact_sheet(rows, path, titles, [f"frame {t}" for t in picks], height=height)


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
