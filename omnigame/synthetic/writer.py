"""Writing scenes in the Omnimatte folder layout (plus ground truth) that omnigame reads.

<scene>/rgb/00000.png, mask/01/00000.png, bg_est.png, order.txt, [valid_mask/00000.png],
gt/bg.png, gt/layers/01/00000.png (RGBA), gt/effect_mask/01/00000.png, [gt/camera.json],
manifest.json. Everything is the stable (reference) view; see Scene.
A scene is written to a temporary sibling folder and renamed into place, so an interrupted run
never leaves a half-written scene under the final name.
scene_sheet: the contact sheet of a few scenes (what write_scene puts on disk, at a glance).
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np

from ..io.files import any_entry, atomic_folder, check_overwrite, write_frames, write_png
from ..io.layers import over_checkerboard
from ..io.sheets import contact_sheet, mask_image, pick_frames

# generate_dataset already runs one process per core: threads in each would only contend
_write_frames = partial(write_frames, threads=1)


def write_scene(scene, folder, overwrite: bool = False) -> Path:
    """Write `scene` (stable view, background per its config) under `folder`; returns the path.

    A non-empty `folder` is refused unless overwrite; then it is replaced once the new scene is
    complete."""
    folder = Path(folder)
    check_overwrite(folder, overwrite, occupies=any_entry)
    with atomic_folder(folder) as tmp:
        _write_contents(scene, tmp)
    return folder


def _write_contents(scene, root: Path) -> None:
    video, view = scene.to_video(), scene.stable
    objects, frames = video.object_names[:scene.num_objects], video.frame_names
    _write_frames(root / "rgb", video.frames, frames)
    for i, obj in enumerate(objects):
        _write_frames(root / "mask" / obj, video.masks[i].astype(np.uint8) * 255, frames)
        _write_frames(root / "gt" / "layers" / obj, view.layers[i], frames)
        _write_frames(root / "gt" / "effect_mask" / obj, view.effect_masks[i], frames)
    write_png(root / "bg_est.png", video.background)
    write_png(root / "gt" / "bg.png", scene.plate)
    if video.valid is not None:
        _write_frames(root / "valid_mask", video.valid.astype(np.uint8) * 255, frames)
        _write_camera(scene, root / "gt" / "camera.json")
    lines = [" ".join(objects[j] for j in row) for row in scene.order]
    (root / "order.txt").write_text("\n".join(lines) + "\n")
    (root / "manifest.json").write_text(json.dumps(scene.params, indent=1))


def _write_camera(scene, path: Path) -> None:
    """Per-frame 2x3 maps camera-frame pixel -> canvas pixel, and the reference view's map."""
    record = {"convention": "pixel (x=col, y=row) of camera frame t -> canvas pixel: "
                            "[x', y'] = M[:, :2] @ [x, y] + M[:, 2]; stable view pixel p -> "
                            "canvas: ref_transform; stabilise: read frame t at inv(M_t) ref p",
              "transforms": np.round(scene.transforms, 6).tolist(),
              "ref_transform": scene.ref_transform.tolist(),
              "canvas": scene.params["canvas"], "states": scene.params["camera"]}
    path.write_text(json.dumps(record, indent=1))


def read_order(folder) -> list:
    """order.txt of a written scene as a list (per frame) of object folder names back to front."""
    return [line.split() for line in Path(folder, "order.txt").read_text().splitlines() if line]


def scene_rows(scene, columns: int = 6) -> Tuple[List[list], List[str]]:
    """One scene's rows of a contact sheet and their labels. Columns: evenly spaced frames, then
    one more: 1. frames | true clean plate; 2. input masks, one colour per object | the
    background the model gets (bg_est); per object 3. true layer (object + effects) over a
    checkerboard, 4. effect-only alpha (layer alpha minus the object's own), white = opaque."""
    video, view = scene.to_video(), scene.stable
    picks = pick_frames(video.num_frames, columns)
    blank = np.full_like(scene.plate, 255)
    effect, objects = view.effect_alpha(), range(scene.num_objects)
    rows = [[video.frames[t] for t in picks] + [scene.plate],
            [mask_image(view.masks[:, t]) for t in picks] + [video.background]]
    rows += [list(over_checkerboard(view.layers[k, picks])) + [blank] for k in objects]
    rows += [[effect[k, t] for t in picks] + [blank] for k in objects]
    names = video.object_names[:scene.num_objects]
    labels = [f"seed {scene.seed}", "masks"] + [f"layer {n}" for n in names]
    return rows, labels + [f"effect {n}" for n in names]


def scene_sheet(scenes: Sequence, path, columns: int = 6) -> np.ndarray:
    """Write the contact sheet of `scenes` (blocks of scene_rows, top to bottom) to `path`;
    returns the image (H', W', 3) uint8."""
    rows, labels = [], []
    for scene in scenes:
        more, names = scene_rows(scene, columns)
        rows, labels = rows + more, labels + names
    picks = pick_frames(len(scenes[0].stable.frames), columns)
    titles = [f"frame {t}" for t in picks] + ["plate, bg_est"]
    return contact_sheet(rows, path, titles, labels)
