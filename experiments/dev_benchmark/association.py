"""Where association is lost, per object, on the layers of one or more `score.py` runs.

    python experiments/dev_benchmark/association.py RUN [RUN ...] [--synthetic] [--claims]

Association (`omnigame.evaluation.metrics.association_accuracy`) is a soft IoU of each object's
true alpha outside its own mask (its effect) with its layer's alpha there. What it loses, as
shares of that effect's alpha mass (they add up to 1 - score, up to the overlap of the last
term with the others):
  rim     within 2 pixels of the object's mask (its own soft edge: the frame does not say how
          much of that pixel the object covers, `omnigame.io.edge_matte`);
  hidden  behind an object in front of it (inside that object's mask): no frame shows it;
  weak    our layer has some alpha there (>= 0.05), less than the truth;
  none    in no layer (all layers < 0.05);
  other   our layer has none there, another layer has (>= 0.05);
  claimed the alpha other layers hold there beyond their own truth (the metric's denominator).
Also the mean alpha of our layer and of the truth where the truth is above 0.1 (outside every
mask), which shows whether an effect is taken too faint or too strong, and (last column) the
scene's association had each pixel outside the masks where some object has a true effect
been handed to that object at the largest alpha any layer has there: what perfect ownership
alone would give (an oracle: it reads the truth).

--claims adds where the 'claimed' share lies, as shares of the effect's mass (they add up to
'claimed'): overlap (where the claiming layer's own true alpha is above 0.02 too: two true
effects overlap), inside (inside the claiming object's mask), its_rim (within 2 px of it),
joined (in a piece of the claiming layer's alpha > 0.03 that touches its mask), detached
(the rest).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402

ROOTS = {"dev": "/work/data/dev_benchmark", "synth": "/work/data/synth-test-64x112"}
PARTS = ("rim", "hidden", "weak", "none", "other", "claimed")
CLAIMS = ("overlap", "inside", "its_rim", "joined", "detached")


def in_front(order: np.ndarray, masks: np.ndarray, k: int) -> np.ndarray:
    """order (N, L) back to front, masks (L, N, H, W) -> (N, H, W) bool: inside the mask of an
    object drawn in front of object k."""
    rank = np.argsort(order, axis=1)  # (N, L): each object's place, 0 = farthest
    front = rank > rank[:, k:k + 1]
    return np.einsum("ln,lnhw->nhw", front.T.astype(np.uint8), masks.astype(np.uint8)) > 0


def losses(ours: np.ndarray, true: np.ndarray, masks: np.ndarray, order: np.ndarray, k: int):
    """ours, true (L, N, H, W) alpha in [0, 1]; masks (L, N, H, W) bool -> shares (PARTS),
    or None when object k has no effect."""
    effect = true[k] * ~masks[k]
    mass = effect.sum()
    if mass == 0:
        return None
    missing = np.clip(effect - ours[k], 0, None)
    rim = np.stack([ndimage.binary_dilation(m, iterations=2) for m in masks[k]]) & ~masks[k]
    hidden = in_front(order, masks, k) & ~rim
    rest = ~rim & ~hidden
    others = np.delete(ours, k, axis=0).max(0, initial=0.0)
    surplus = np.clip(np.delete(ours - true, k, axis=0), 0, None)
    shares = [missing[rim].sum(), missing[hidden].sum(),
              missing[rest & (ours[k] >= 0.05)].sum(),
              missing[rest & (ours[k] < 0.05) & (others < 0.05)].sum(),
              missing[rest & (ours[k] < 0.05) & (others >= 0.05)].sum(),
              np.minimum(surplus, effect).sum()]
    return np.array(shares) / mass


def claims(ours: np.ndarray, true: np.ndarray, masks: np.ndarray, k: int):
    """ours, true (L, N, H, W) alpha in [0, 1]; masks (L, N, H, W) bool -> the 'claimed'
    share of object k's effect split by where it lies (CLAIMS), or None without an effect."""
    effect = true[k] * ~masks[k]
    mass = effect.sum()
    if mass == 0:
        return None
    out = np.zeros(len(CLAIMS))
    for j in (j for j in range(len(ours)) if j != k):
        taken = np.minimum(np.clip(ours[j] - true[j], 0, None), effect)
        rim = np.stack([ndimage.binary_dilation(m, iterations=2) for m in masks[j]]) & ~masks[j]
        joined = np.stack([_touching(ours[j, t] > 0.03, masks[j, t]) for t in range(len(taken))])
        rest = ~masks[j] & (true[j] <= 0.02)
        places = [~masks[j] & (true[j] > 0.02), masks[j], rest & rim, rest & ~rim & joined,
                  rest & ~rim & ~joined]
        out += [taken[place].sum() for place in places]
    return out / mass


def _touching(held: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(H, W) bool -> the 8-connected pieces of held | mask that touch the mask."""
    pieces, _ = ndimage.label(held | mask, np.ones((3, 3), bool))
    ids = np.unique(pieces[mask])
    return np.isin(pieces, ids[ids > 0])


def owned_by_truth(ours: np.ndarray, true: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(L, N, H, W) alphas -> ours with every pixel outside the masks where the truth has an
    effect (> 0.02) given wholly to its true owner, at the largest alpha any layer has there."""
    owner, has = true.argmax(0), (true.max(0) > 0.02) & ~masks.any(0)
    most = ours.max(0)
    return np.stack([np.where(has, np.where(owner == k, most, 0.0), ours[k])
                     for k in range(len(ours))])


def run_rows(run: str, synthetic: bool, split_claims: bool = False):
    """One row per object with an effect: scene, object, score, shares, mean alpha ours/true,
    the scene's oracle, and the 'claimed' share split (CLAIMS) if asked, else None."""
    paths = sorted(glob.glob(f"{run}/layers/dev__*.npz"))
    paths += sorted(glob.glob(f"{run}/layers/synth__*.npz")) if synthetic else []
    results = Path(run, "results.json")
    recorded = json.loads(results.read_text())["scenes"] if results.exists() else {}
    for path in paths:
        kind, scene = os.path.basename(path)[:-4].split("__")
        # where score.py read the scene (another --scenes, e.g. the live set), else the default
        folder = recorded.get(f"{kind}/{scene}", {}).get("folder", f"{ROOTS[kind]}/{scene}")
        video, gt = read_input(folder), load_ground_truth(folder)
        ours = np.load(path)["rgba"][..., 3] / 255.0
        true = gt.layers[..., 3] / 255.0
        scores = association_accuracy(ours, true, video.masks)["per_object"]
        oracle = association_accuracy(owned_by_truth(ours, true, video.masks), true,
                                      video.masks)["mean"]
        outside = ~video.masks.any(0)
        for k, score in enumerate(scores):
            shares = losses(ours, true, video.masks, video.order, k)
            if shares is None:
                continue
            strong = (true[k] > 0.1) & outside
            split = claims(ours, true, video.masks, k) if split_claims else None
            yield (scene, k, score, shares, ours[k][strong].mean(), true[k][strong].mean(),
                   oracle, split)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("runs", nargs="+", help="score.py --out folders (with layers/)")
    p.add_argument("--synthetic", action="store_true", help="the runs' synthetic scenes too")
    p.add_argument("--claims", action="store_true", help="where the 'claimed' share lies")
    args = p.parse_args()
    for run in args.runs:
        print(f"\n{run}\n\n| scene | object | association | " + " | ".join(PARTS)
              + " | alpha ours / true | scene, ownership oracle |\n|---|---|---|"
              + "---|" * (len(PARTS) + 2))
        rows = list(run_rows(run, args.synthetic, args.claims))
        for scene, k, score, shares, a_ours, a_true, oracle, _ in rows:
            print(f"| {scene} | {k} | {score:.3f} | " + " | ".join(f"{s:.3f}" for s in shares)
                  + f" | {a_ours:.2f} / {a_true:.2f} | {oracle:.3f} |")
        mean = np.mean([[r[2], *r[3], r[4], r[5]] for r in rows], axis=0)
        print("| mean | | " + " | ".join(f"{m:.3f}" for m in mean[:-2])
              + f" | {mean[-2]:.2f} / {mean[-1]:.2f} | |")
        if args.claims:
            print_claims(rows)


def print_claims(rows) -> None:
    """The 'claimed' share of each object's effect, split by where it lies (CLAIMS)."""
    print("\n| scene | object | claimed | " + " | ".join(CLAIMS) + " |\n|---|---|---|"
          + "---|" * len(CLAIMS))
    for scene, k, _, shares, *_, split in rows:
        print(f"| {scene} | {k} | {shares[-1]:.3f} | " + " | ".join(f"{x:.3f}" for x in split)
              + " |")
    mean = np.mean([[r[3][-1], *r[-1]] for r in rows], axis=0)
    print("| mean | | " + " | ".join(f"{m:.3f}" for m in mean) + " |")


if __name__ == "__main__":
    main()
