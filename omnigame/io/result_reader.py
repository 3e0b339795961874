"""Reading a finished decomposition back from disk (the folder `omnigame.decompose` writes).

    layers = omnigame.load_result("clip_layers")
    layers = load_layers("clip_layers", order=video.order, fps=video.fps)

The PNGs hold exactly the uint8 arrays of the `Layers` that was written, so a loaded result
evaluates and recomposites like the in-memory one. `load_result` takes the object order, the
per-frame back-to-front order (order.txt) and the frame rate from the folder; `load_layers`
takes them from the caller (results written before order.txt existed: from the input video).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import List, Optional, Sequence

import imageio.v3 as iio
import numpy as np

from .homographies import read_homographies
from .layers import Layers
from .readers import read_order

log = logging.getLogger(__name__)


def _read_pngs(folder: Path, names: Sequence[str], channels: int) -> np.ndarray:
    """folder/<name>.png for each name -> (N, H, W, channels) uint8."""
    images = []
    for name in names:
        path = folder / f"{name}.png"
        if not path.exists():
            raise FileNotFoundError(f"{path}: missing; the decomposition in {folder.parent} is "
                                    f"incomplete, run omnigame-decompose again")
        image = iio.imread(path)
        if image.ndim != 3 or image.shape[2] < channels:
            raise ValueError(f"{path}: expected {channels} channels, got shape {image.shape}")
        images.append(image[..., :channels])
    return np.stack(images)


def frame_names(layers_dir: Path, objects: Sequence[str]) -> List[str]:
    """The frame stems every object folder holds (they must all hold the same frames)."""
    names = sorted(p.stem for p in (layers_dir / objects[0]).glob("*.png"))
    for obj in objects[1:]:
        other = sorted(p.stem for p in (layers_dir / obj).glob("*.png"))
        if other != names:
            raise ValueError(f"{layers_dir}: objects {objects[0]} and {obj} hold different frames "
                             f"({len(names)} vs {len(other)} PNGs)")
    if not names:
        raise FileNotFoundError(f"{layers_dir / objects[0]}: no PNG frames")
    return names


def _objects(layers_dir: Path, object_names: Optional[Sequence[str]]) -> List[str]:
    found = sorted(p.name for p in layers_dir.iterdir() if p.is_dir())
    if not found:
        raise FileNotFoundError(f"{layers_dir}: no object folders")
    if object_names is None:
        return found
    if sorted(object_names) != found:
        raise ValueError(f"{layers_dir}: object folders {found} do not match the video's objects "
                         f"{list(object_names)}; evaluate against the video that was decomposed")
    return list(object_names)


def _background(out: Path, names: Sequence[str]) -> np.ndarray:
    """background.png (static, broadcast to N frames) or background/<frame>.png -> (N, H, W, 3)."""
    if (out / "background.png").exists():
        plate = _read_pngs(out, ["background"], 3)[0]
        return np.ascontiguousarray(np.broadcast_to(plate, (len(names), *plate.shape)))
    if (out / "background").is_dir():
        return _read_pngs(out / "background", names, 3)
    raise FileNotFoundError(f"{out}: neither background.png nor background/ is there")


def load_layers(out_dir, object_names: Optional[Sequence[str]] = None,
                order: Optional[np.ndarray] = None, fps: float = 24.0) -> Layers:
    """A finished decomposition folder -> Layers (rgba (L, N, H, W, 4) uint8 and the rest).

    object_names: the layer order to use (default: the object folders, sorted).
    order:        (N, L) back-to-front object indices per frame (default: 0, 1, ..., L-1).
    """
    out = Path(out_dir)
    if not (out / "metrics.json").exists():
        raise FileNotFoundError(f"{out}: no metrics.json, so not a finished decomposition "
                                f"(decompose writes it last); finish or rerun the decomposition")
    objects = _objects(out / "layers", object_names)
    names = frame_names(out / "layers", objects)
    rgba = np.stack([_read_pngs(out / "layers" / obj, names, 4) for obj in objects])
    L, N = rgba.shape[:2]
    if order is None:
        order = np.tile(np.arange(L, dtype=np.int64), (N, 1))
    layers = Layers(rgba, _background(out, names),
                    _read_pngs(out / "reconstruction", names, 3), np.asarray(order), objects, fps,
                    json.loads((out / "metrics.json").read_text()), str(out))
    if (out / "homographies.txt").exists():  # decomposed on a stabilised canvas
        layers.homographies = read_homographies(out / "homographies.txt", N)[0]
        layers.stabilised_background = _read_pngs(out, ["background_stabilised"], 3)[0]
    log.info("loaded %d layers x %d frames of %dx%d from %s", L, N, *rgba.shape[2:4], out)
    return layers


def load_result(out_dir) -> Layers:
    """A folder written by `omnigame.decompose` / omnigame-decompose -> the `Layers` it holds."""
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(f"{out}: no such folder; give the out_dir of a decomposition")
    metrics = json.loads((out / "metrics.json").read_text()) if (
        out / "metrics.json").exists() else {}
    objects = metrics.get("object_names")  # absent in results of older versions: sorted
    order = None
    if (out / "order.txt").exists() and (out / "layers").is_dir():
        names = objects or _objects(out / "layers", None)
        order = read_order(out / "order.txt", names, len(frame_names(out / "layers", names)))
    return load_layers(out, objects, order, metrics.get("fps", 24.0))
