"""Pictures and figures of a real clip decomposed with the default command (moving camera).

Reads a finished result folder (`omnigame-decompose video=CLIP out_dir=RESULT`) and writes to
--out: <clip>_layers.png (input | layers over a checkerboard | alphas | reconstruction, a few
frames), <clip>_background.png (top: the panorama on the stabilised canvas; bottom: the
median background the same clip gets with input.camera=static, for comparison) and
<clip>_metrics.json (the result's metrics.json plus the static median's PSNR on unmasked pixels).

    omnigame-decompose video=../shared/data/real/boys-beach out_dir=runs/boys-beach
    python experiments/camera_motion/real_clip.py --clip ../shared/data/real/boys-beach \\
        --result runs/boys-beach --out experiments/camera_motion/real \\
        --crop 0:100,290,230,450 --crop 42:120,310,170,420 --crop 84:150,330,300,620
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import omnigame
from omnigame.data.background import median_background
from omnigame.io.files import write_json, write_png
from omnigame.io.layers import over_checkerboard
from omnigame.io.readers import read_input
from omnigame.io.sheets import contact_sheet, layers_sheet


def unmasked_psnr(background: np.ndarray, video) -> float:
    """PSNR of a background (N or 1, H, W, 3) against the frames, outside all masks."""
    keep = ~video.masks.any(0)
    err = (background.astype(np.float64) - video.frames) ** 2
    return float(10 * np.log10(255.0 ** 2 / err[keep].mean()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", type=Path, required=True)
    p.add_argument("--result", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--crop", action="append", default=[], metavar="T:Y0,Y1,X0,X1",
                   help="also <clip>_crops.png: frame T cut to rows Y0:Y1, columns X0:X1 at full "
                        "resolution (input | each layer over a checkerboard and its alpha | "
                        "reconstruction); repeat for more frames")
    args = p.parse_args()
    video, layers = read_input(args.clip), omnigame.load_result(args.result)
    name = args.clip.name
    layers_sheet(video.frames, layers.rgba, layers.reconstruction,
                 args.out / f"{name}_layers.png", layers.object_names, num_frames=3, height=192)
    static = median_background(video.frames, video.masks)[0]
    rows = [[static]] if layers.stabilised_background is None else [
        [layers.stabilised_background], [_pad_to(static, layers.stabilised_background.shape)]]
    contact_sheet(rows, args.out / f"{name}_background.png",
                  labels=["panorama", "static median"][-len(rows):])
    if args.crop:
        crops(video.frames, layers, args.crop, args.out / f"{name}_crops.png")
    metrics = dict(layers.metrics)
    metrics["background_psnr_unmasked"] = unmasked_psnr(layers.background, video)
    metrics["static_median_psnr_unmasked"] = unmasked_psnr(static[None], video)
    write_json(args.out / f"{name}_metrics.json", metrics)
    print(json.dumps({k: metrics[k] for k in ("reconstruction_psnr", "background_psnr_unmasked",
                                               "static_median_psnr_unmasked", "camera")}))


def crops(frames: np.ndarray, layers, boxes, out: Path) -> None:
    """One row per 'T:Y0,Y1,X0,X1' box: the input, each layer and its alpha, the reconstruction."""
    rows = []
    for box in boxes:
        t, cut = box.split(":")
        t, (y0, y1, x0, x1) = int(t), map(int, cut.split(","))
        window = (slice(y0, y1), slice(x0, x1))
        row = [frames[t][window]]
        for rgba in layers.rgba[:, t]:
            row += [over_checkerboard(rgba[window]), np.repeat(rgba[window][..., 3:], 3, -1)]
        rows.append(row + [layers.reconstruction[t][window]])
    width = max(sum(tile.shape[1] + 4 for tile in row) for row in rows)
    strips = [np.concatenate([np.pad(tile, ((0, 4), (0, 4), (0, 0)), constant_values=255)
                              for tile in row], 1) for row in rows]
    strips = [np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)), constant_values=255)
              for s in strips]
    write_png(out, np.concatenate(strips, 0))


def _pad_to(image: np.ndarray, shape) -> np.ndarray:
    """image placed at the top-left of a white canvas of `shape` (the sheet needs equal tiles)."""
    out = np.full(shape, 255, np.uint8)
    h, w = min(image.shape[0], shape[0]), min(image.shape[1], shape[1])
    out[:h, :w] = image[:h, :w]
    return out


if __name__ == "__main__":
    main()
