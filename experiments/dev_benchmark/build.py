"""Build the dev benchmark: real objects over real plates with synthetic shadows and reflections.

    OMP_NUM_THREADS=1 python experiments/dev_benchmark/build.py [--out /work/data/dev_benchmark]

Writes every scene with `omnigame.synthetic.write_scene` (Omnimatte folder rgb/, mask/NN/,
bg_est.png, order.txt, gt/layers, gt/effect_mask, gt/bg.png, manifest.json), so omnigame's
readers and `load_ground_truth` take it as they take a synthetic scene. The manifest records
each object's effect kind. A contact sheet per scene goes to experiments/dev_benchmark/scenes/.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compose import Backdrop, ObjectSpec, SceneSpec, effect_kind, render_scene  # noqa: E402
from omnigame.evaluation.metrics import visible_footprint  # noqa: E402
from omnigame.io.files import write_png, write_text  # noqa: E402
from omnigame.io.layers import over_checkerboard  # noqa: E402
from omnigame.io.sheets import contact_sheet, outline, pick_frames  # noqa: E402
from omnigame.synthetic import SceneConfig, write_scene  # noqa: E402
from omnigame.synthetic.scene import Scene, View  # noqa: E402

HERE = Path(__file__).resolve().parent
BB, KW = "boys-beach", "davis_kite-walk"
# Plates (full-resolution boxes, aspect 224:128) and where objects may stand on them.
BEACH = dict(clip=BB, box=(10, 0, 366, 640), ground=(100, 124), horizon=70,
             water=(34, 52), waterline=28, water_end=66)
SEA = dict(clip=BB, box=(60, 0, 160, 280), water=(50, 90), waterline=20)
KITE = dict(clip=KW, box=(10, 0, 366, 640), ground=(96, 124), horizon=78,
            water=(30, 56), waterline=0, water_end=70)
KITE_SAND = dict(clip=KW, box=(200, 100, 184, 322), ground=(70, 124), horizon=20)
KITE_SEA = dict(clip=KW, box=(0, 200, 200, 350), water=(50, 95), waterline=0)


def scene_specs() -> list:
    """The 12 scenes: shadows only (5), reflections only (4), both (3); 1, 2 and 3 objects."""
    o = ObjectSpec
    return [
        SceneSpec("shadow_1_boy_on_kitesand", Backdrop(**KITE_SAND), [o("boy_a", "shadow")]),
        SceneSpec("shadow_1_surfer_on_beach", Backdrop(**BEACH), [o("surfer", "long_shadow")]),
        SceneSpec("shadow_2_boys_on_kite", Backdrop(**KITE), [o("boy_a", "shadow"), o("boy_b", "long_shadow")]),
        SceneSpec("shadow_2_long_on_kitesand", Backdrop(**KITE_SAND, flip=True),
                  [o("boy_b", "long_shadow"), o("surfer", "long_shadow")]),
        SceneSpec("shadow_3_on_kite", Backdrop(**KITE, flip=True),
                  [o("boy_a", "shadow"), o("boy_b", "shadow"), o("surfer", "long_shadow")]),
        SceneSpec("reflect_1_surfer_sea", Backdrop(**SEA), [o("surfer", "reflection")]),
        SceneSpec("reflect_1_boy_kitesea", Backdrop(**KITE_SEA), [o("boy_a", "reflection")]),
        SceneSpec("reflect_2_sea", Backdrop(**{**SEA, "box": (60, 360, 160, 280)}, flip=True),
                  [o("boy_a", "reflection"), o("boy_b", "reflection")]),
        SceneSpec("reflect_3_kitesea", Backdrop(**KITE_SEA, flip=True),
                  [o("boy_a", "reflection", (0.25, 0.4)), o("boy_b", "reflection", (0.25, 0.4)),
                   o("surfer", "reflection", (0.3, 0.45))]),
        SceneSpec("both_2_beach", Backdrop(**BEACH), [o("surfer", "shadow"), o("boy_b", "reflection", (0.2, 0.3))]),
        SceneSpec("both_2_kite", Backdrop(**KITE), [o("boy_a", "reflection", (0.2, 0.3)), o("boy_b", "long_shadow")]),
        SceneSpec("both_3_beach", Backdrop(**BEACH, flip=True),
                  [o("boy_a", "long_shadow"), o("surfer", "reflection", (0.2, 0.3)), o("boy_b", "shadow")]),
    ]


# Live backdrops: the clips' own first 24 frames (moving waves, a little camera shake) in boxes
# beside their objects (`realclips.live_frames` checks), where the still plates above have none
# of that motion: what a user's footage has and a still plate hides.
LIVE_BEACH = dict(clip=BB, box=(120, 0, 154, 270), ground=(78, 124), horizon=56,
                  water=(24, 48), waterline=10, water_end=58, live=True)
LIVE_SEA = dict(clip=BB, box=(60, 0, 154, 270), water=(50, 90), waterline=20, live=True)
LIVE_KITE = dict(clip=KW, box=(170, 0, 100, 175), ground=(104, 124), horizon=96,
                 water=(40, 80), waterline=0, water_end=100, live=True)


def live_specs() -> list:
    """Four scenes over live footage: a shadow, a reflection, both, two reflections."""
    o = ObjectSpec
    return [
        SceneSpec("live_shadow_1_boy_on_beach", Backdrop(**LIVE_BEACH), [o("boy_a", "long_shadow")]),
        SceneSpec("live_reflect_1_surfer_sea", Backdrop(**LIVE_SEA), [o("surfer", "reflection")]),
        SceneSpec("live_both_2_beach", Backdrop(**LIVE_BEACH, flip=True),
                  [o("surfer", "shadow"), o("boy_b", "reflection", (0.2, 0.3))]),
        SceneSpec("live_reflect_2_kitesea", Backdrop(**LIVE_KITE),
                  [o("boy_a", "reflection", (0.3, 0.45)), o("boy_b", "reflection", (0.3, 0.45))]),
    ]


SETS = {"still": scene_specs, "live": live_specs}


def make_scene(spec: SceneSpec, seed: int, size=(128, 224), n: int = 24) -> Scene:
    """A omnigame.synthetic.Scene holding the composed arrays (static plate, no camera motion)."""
    r = render_scene(spec, seed, size, n)
    view = View(r["frames"], r["masks"], r["layers"], visible_footprint(r["layers"], r["background"]),
                r["background"], r["object_alpha"])
    cfg = SceneConfig(height=size[0], width=size[1], num_frames=n, fps=16.0, split="test",
                      min_objects=1, max_objects=max(1, len(spec.objects)))
    bd = spec.backdrop
    params = {"name": spec.name, "seed": int(seed), "split": "dev_real", "height": size[0],
              "width": size[1], "num_frames": n,
              "background": {"clip": bd.clip, "box": list(bd.box), "flip": bd.flip},
              "effect_kinds": [effect_kind(o.effect) for o in spec.objects],
              "objects": r["objects"]}
    eye = np.tile(np.eye(2, 3, dtype=np.float32), (n, 1, 1))
    return Scene(cfg, int(seed), view, view, r["plate"], r["order"], None, eye, eye[0], params)


def scene_sheet(path: Path, frames, masks, layers, count: int = 4) -> None:
    """Input frames with the masks outlined, then each true layer over a checkerboard, as a
    palette PNG (kept in the repo: ~5x smaller, still enough to see where an effect went).

    frames (N, H, W, 3), masks (L, N, H, W) bool, layers (L, N, H, W, 4) uint8."""
    ts = pick_frames(len(frames), count)
    rows = [[outline(frames[t], masks[:, t]) for t in ts]]
    rows += [[over_checkerboard(layer[t]) for t in ts] for layer in layers]
    contact_sheet(rows, path, colours=256)


def build(out: Path, seed: int = 0, sheets: Path = HERE / "scenes", names=None,
          frames: int = 24, size=(128, 224), scene_set: str = "still") -> list:
    """Write the benchmark scenes of one set (all, or those named) under out; returns their
    folders. Sets: 'still' (the 12 scenes over still plates), 'live' (over live footage)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    offset = 0 if scene_set == "still" else 100  # the live set draws its own placements
    for i, spec in enumerate(SETS[scene_set]()):
        if names and spec.name not in names:
            continue
        began = time.perf_counter()
        scene = make_scene(spec, seed * 1000 + offset + i, size, frames)
        folder = write_scene(scene, out / f"{i:02d}_{spec.name}", overwrite=True)
        if spec.backdrop.live:  # the true background of every frame (load_ground_truth reads it)
            (folder / "gt" / "background").mkdir()
            for t, frame in enumerate(scene.stable.background):
                write_png(folder / "gt" / "background" / f"{t:05d}.png", frame)
        if sheets is not None:
            sheets.mkdir(parents=True, exist_ok=True)
            scene_sheet(sheets / f"{spec.name}.png", scene.frames, scene.masks, scene.layers)
        print(f"{folder.name}: {time.perf_counter() - began:.1f} s", flush=True)
        written.append(folder)
    write_text(out / "index.json", json.dumps({"seed": seed, "scenes": [p.name for p in written]}, indent=1))
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", default="/work/data/dev_benchmark")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", nargs="*", help="scene names to (re)build")
    p.add_argument("--no-sheets", action="store_true")
    p.add_argument("--set", default="still", choices=sorted(SETS),
                   help="still: the 12 scenes over still plates; live: 4 over live footage "
                        "(build into their own --out, e.g. /work/data/dev_live)")
    args = p.parse_args()
    began = time.perf_counter()
    build(Path(args.out), args.seed, None if args.no_sheets else HERE / "scenes", args.only,
          scene_set=args.set)
    print(f"built in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
