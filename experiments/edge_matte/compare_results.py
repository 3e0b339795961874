"""Two decompositions of one clip side by side at one frame, zoomed: per object, the frame |
each result's layer over a checkerboard and over flat green (what an editor's recomposite
shows of the rim).

    python experiments/edge_matte/compare_results.py OLD_RESULT NEW_RESULT CLIP FRAME OUT.png
"""
import argparse

import imageio.v3 as iio
import numpy as np

from omnigame.io.layers import over_checkerboard
from omnigame.io.readers import read_input
from omnigame.io.result_reader import load_result

GREEN = np.array([40.0, 200.0, 60.0])


def tiles(layer: np.ndarray, cut) -> list:
    """layer (H, W, 4) uint8 -> [over a checkerboard, over green], cropped to `cut`."""
    rgba = layer[cut].astype(np.float64)
    a = rgba[..., 3:] / 255
    return [over_checkerboard(layer[cut], cell=4),
            (a * rgba[..., :3] + (1 - a) * GREEN).round().astype(np.uint8)]


def main(old, new, clip, frame, out_png, zoom=3):
    results, video, t = [load_result(old), load_result(new)], read_input(clip), int(frame)
    rows = []
    for k in range(video.masks.shape[0]):
        ys, xs = np.nonzero(video.masks[k, t])
        cut = (slice(max(ys.min() - 8, 0), ys.min() + 70),
               slice(max(xs.min() - 8, 0), xs.max() + 9))
        row = [video.frames[t][cut]] + sum((tiles(r.rgba[k, t], cut) for r in results), [])
        rows.append(np.kron(np.concatenate(row, 1), np.ones((zoom, zoom, 1), np.uint8)))
    width = max(r.shape[1] for r in rows)
    pad = lambda r: np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255)
    iio.imwrite(out_png, np.concatenate([pad(r) for r in rows], 0))
    print(f"{out_png}: per object, frame | old over checkerboard, green | new, the same")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    for name in ("old", "new", "clip", "frame", "out_png"):
        p.add_argument(name)
    main(**vars(p.parse_args()))
