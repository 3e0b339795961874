"""Where two runs' layers differ on a real clip: input | layer before | layer after (over a
checkerboard) | alpha before | alpha after | alpha change (green: more, red: less, x4), cut
around one object per row and zoomed 3x.

    python experiments/real_clips/alpha_change.py NEW OLD OUT.png \
        --clip ../shared/data/real/boys-beach \
        --crop 42:0:130,300,190,300 --crop 42:1:130,300,310,420

NEW and OLD are `omnigame-decompose` output folders of the same clip; --crop is
FRAME:OBJECT:y0,y1,x0,x1 at the input's resolution.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from omnigame.io.layers import over_checkerboard
from omnigame.io.readers import read_input


def _layer(folder: str, k: int, t: int) -> np.ndarray:
    """(H, W, 4) uint8: object k's layer in frame t of an output folder."""
    objects = sorted(p for p in (Path(folder) / "layers").iterdir() if p.is_dir())
    return iio.imread(sorted(objects[k].glob("*.png"))[t])


def row(new: str, old: str, frame: np.ndarray, k: int, t: int, box) -> np.ndarray:
    y0, y1, x0, x1 = box
    after, before = _layer(new, k, t), _layer(old, k, t)
    change = after[..., 3].astype(int) - before[..., 3].astype(int)
    diff = np.zeros(after.shape[:2] + (3,), np.uint8)
    diff[..., 1], diff[..., 0] = np.clip(4 * change, 0, 255), np.clip(-4 * change, 0, 255)
    grey = lambda rgba: np.repeat(rgba[..., 3:], 3, -1)  # noqa: E731
    panels = [frame, over_checkerboard(before, 4), over_checkerboard(after, 4), grey(before),
              grey(after), diff]
    zoomed = [np.kron(p[y0:y1, x0:x1], np.ones((3, 3, 1), np.uint8)) for p in panels]
    gap = np.full((zoomed[0].shape[0], 6, 3), 255, np.uint8)
    return np.concatenate(sum([[z, gap] for z in zoomed], [])[:-1], 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("new"), p.add_argument("old"), p.add_argument("out")
    p.add_argument("--clip", required=True)
    p.add_argument("--crop", action="append", required=True)
    args = p.parse_args()
    frames = read_input(args.clip).frames
    rows = []
    for spec in args.crop:
        t, k, box = spec.split(":")
        rows.append(row(args.new, args.old, frames[int(t)], int(k), int(t),
                        [int(v) for v in box.split(",")]))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(args.out, np.concatenate(rows, 0))


if __name__ == "__main__":
    main()
