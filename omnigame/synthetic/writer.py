"""Writing scenes in the Omnimatte folder layout (plus ground truth) that omnigame reads.

<scene>/rgb/00000.png, mask/01/00000.png, bg_est.png, order.txt, [valid_mask/00000.png],
gt/bg.png, gt/layers/01/00000.png (RGBA), gt/effect_mask/01/00000.png, [gt/camera.json],
manifest.json. Everything is the stable (reference) view; see Scene.
A scene is written to a temporary sibling folder and renamed into place, so an interrupted run
never leaves a half-written scene under the final name.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import imageio.v3 as iio
import numpy as np

log = logging.getLogger(__name__)


def _png(path: Path, image: np.ndarray) -> None:
    # level 1: several times faster than the default, files ~20% larger
    iio.imwrite(path, image, extension=".png", compress_level=1)


def _write_frames(folder: Path, images: np.ndarray, names) -> None:
    """One PNG per frame, images (N, H, W[, C]) uint8."""
    folder.mkdir(parents=True, exist_ok=True)
    for image, name in zip(images, names):
        _png(folder / f"{name}.png", image)


def prepare_folder(folder: Path, overwrite: bool) -> None:
    """Refuse to touch a non-empty folder unless overwrite; with overwrite, remove it."""
    if folder.exists() and any(folder.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{folder} exists and is not empty; pass overwrite=True "
                                  f"(overwrite=true on the command line) or choose another folder")
        log.warning("overwriting %s", folder)
        shutil.rmtree(folder)


def write_scene(scene, folder, overwrite: bool = False) -> Path:
    """Write `scene` (stable view, background per its config) under `folder`; returns the path."""
    folder = Path(folder)
    prepare_folder(folder, overwrite)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    _write_contents(scene, tmp)
    if folder.exists():
        folder.rmdir()  # empty, checked above
    os.replace(tmp, folder)
    return folder


def _write_contents(scene, root: Path) -> None:
    video, view = scene.to_video(), scene.stable
    objects, frames = video.object_names[:scene.num_objects], video.frame_names
    _write_frames(root / "rgb", video.frames, frames)
    for i, obj in enumerate(objects):
        _write_frames(root / "mask" / obj, video.masks[i].astype(np.uint8) * 255, frames)
        _write_frames(root / "gt" / "layers" / obj, view.layers[i], frames)
        _write_frames(root / "gt" / "effect_mask" / obj, view.effect_masks[i], frames)
    _png(root / "bg_est.png", video.background)
    _png(root / "gt" / "bg.png", scene.plate)
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
