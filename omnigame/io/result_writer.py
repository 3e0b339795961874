"""Turning model-size layers into a `Layers` result at the input resolution, and writing it.

Output folder:
    layers/<object>/<frame>.png   RGBA layer of each object in each frame (input resolution)
    background.png                the background (background/<frame>.png if it moves)
    reconstruction/<frame>.png    all layers composited back-to-front over the background
    order.txt                     per frame, the object names back to front
    preview.mp4                   input | layers over a checkerboard | alpha | reconstruction
    config.yaml                   the resolved configuration of the run
    metrics.json                  figures measured on the run (written last: marks completion)
    train/                        TensorBoard logs of test-time training (and its checkpoint
                                  while it runs, or with keep_checkpoint=True)
Everything is written into a hidden staging folder first and moved into place at the end, so
an interrupted run never leaves a half-written result that looks finished.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..data.prepare import resize_masks
from .files import check_overwrite, move_into_place, write_frames, write_png, write_video
from .layers import Layers
from .sheets import layer_tiles
from .video import Video

RESULT_ENTRIES = ("layers", "background.png", "background", "reconstruction", "preview.mp4",
                  "order.txt", "config.yaml", "metrics.json")


def upsample_layers(rgba: torch.Tensor, size) -> torch.Tensor:
    """(L, n, 4, h, w) float -> (L, n, 4, H, W) float in [0, 1], bilinear on premultiplied colour.

    Resizing straight colour mixes the colour of transparent pixels (meaningless) into the
    edges: halos. Premultiplied colour is what compositing uses, so it resizes correctly.
    """
    L, n = rgba.shape[:2]
    if tuple(rgba.shape[-2:]) == tuple(size):
        return rgba
    flat = rgba.reshape(L * n, 4, *rgba.shape[-2:])
    alpha = flat[:, 3:]
    premult = torch.cat([flat[:, :3] * alpha, alpha], 1)
    up = F.interpolate(premult, size=tuple(size), mode="bilinear", align_corners=False)
    a = up[:, 3:].clamp(0, 1)
    colour = up[:, :3] / a.clamp_min(1e-4)
    return torch.cat([colour, a], 1).clamp(0, 1).view(L, n, 4, *size)


def sharpen_alpha(rgba: torch.Tensor, masks: np.ndarray, model_size) -> torch.Tensor:
    """Mask-guided alpha at the input resolution: the input mask's edges, the model's effects.

    rgba (L, n, 4, H, W) upsampled layers; masks (L, n, H, W) bool input masks. The model saw
    the masks at its own size, so its upsampled alpha follows a blurred silhouette. What it
    adds or removes relative to that silhouette (shadows, reflections, holes) is kept, and the
    silhouette itself is replaced by the full-resolution mask: hats and limbs stay sharp.
    """
    L, n, _, H, W = rgba.shape
    m = torch.from_numpy(np.ascontiguousarray(masks)).reshape(L * n, H, W)
    seen = resize_masks(m, model_size).float()[:, None]
    seen = F.interpolate(seen, size=(H, W), mode="bilinear", align_corners=False)
    alpha = rgba[:, :, 3].reshape(L * n, 1, H, W)
    sharp = (m[:, None].float() + alpha - seen).clamp(0, 1)
    out = rgba.clone()
    out[:, :, 3] = sharp.view(L, n, H, W)
    return out


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def transfer_detail(rgba: torch.Tensor, frames: torch.Tensor, recon: torch.Tensor,
                    order: torch.Tensor) -> torch.Tensor:
    """Omnimatte-style detail transfer (reference s.6), at the input resolution.

    rgba (L, n, 4, H, W); frames, recon (n, 3, H, W); order (n, L) back-to-front. The residual
    frame - recon is added to each layer's colour, weighted by how visible that layer is
    (1 - union of the alphas in front of it), front to back. Alpha is unchanged.
    """
    out = rgba.clone()
    residual = frames - recon
    for n in range(rgba.shape[1]):
        covered = torch.zeros_like(frames[n, :1])
        for obj in order[n].flip(0).tolist():  # front to back
            alpha = rgba[obj, n, 3:]
            out[obj, n, :3] = (rgba[obj, n, :3] + (1 - covered) * residual[n]).clamp(0, 1)
            covered = covered + (1 - covered) * alpha
    return out


def build_layers(rgba_small: torch.Tensor, video: Video, background: np.ndarray,
                 detail: bool, sharpen: bool = True, chunk: int = 8) -> Layers:
    """Model-size layers (L, N, 4, h, w) -> a Layers result at the video's resolution.

    sharpen: mask-guided alpha (sharpen_alpha); detail: detail transfer (transfer_detail).
    Works `chunk` frames at a time straight into the uint8 result, so no float copy of the
    whole video at full resolution is ever held.
    """
    N, H, W, _ = video.frames.shape
    bg = np.broadcast_to(background, (N, H, W, 3)) if background.ndim == 3 else background
    layers = Layers(np.empty((rgba_small.shape[0], N, H, W, 4), np.uint8),
                    np.ascontiguousarray(bg), np.empty_like(video.frames), video.order,
                    list(video.object_names), video.fps)
    for s in range(0, N, chunk):
        part = slice(s, min(N, s + chunk))
        rgba = upsample_layers(rgba_small[:, part], (H, W))
        if sharpen and tuple(rgba_small.shape[-2:]) != (H, W):
            rgba = sharpen_alpha(rgba, video.masks[:, part], rgba_small.shape[-2:])
        layers.rgba[:, part] = to_uint8(rgba.permute(0, 1, 3, 4, 2))
        layers.reconstruction[part] = layers.composite(frames=range(part.start, part.stop))
        if detail:
            chw = lambda a: torch.from_numpy(a[part]).permute(0, 3, 1, 2).float() / 255
            rgba = transfer_detail(rgba, chw(video.frames), chw(layers.reconstruction),
                                   torch.from_numpy(video.order[part]))
            layers.rgba[:, part] = to_uint8(rgba.permute(0, 1, 3, 4, 2))
            layers.reconstruction[part] = layers.composite(frames=range(part.start, part.stop))
    return layers


def write_result(layers: Layers, video: Video, out_dir: Path, config_yaml: str,
                 preview: bool = True) -> None:
    """Write every output file into a staging folder, then move them into out_dir."""
    stage = out_dir / ".staging"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for i, name in enumerate(layers.object_names):
        write_frames(stage / "layers" / name, layers.rgba[i], video.frame_names)
    static = bool((layers.background == layers.background[:1]).all())
    if static:
        write_png(stage / "background.png", layers.background[0])
    else:
        write_frames(stage / "background", layers.background, video.frame_names)
    write_frames(stage / "reconstruction", layers.reconstruction, video.frame_names)
    if preview:
        write_preview(stage / "preview.mp4", video.frames, layers)
    # the input's format: one line per frame, object names back to front (for load_result)
    (stage / "order.txt").write_text("".join(
        " ".join(layers.object_names[i] for i in row) + "\n" for row in layers.order))
    (stage / "config.yaml").write_text(config_yaml)
    (stage / "metrics.json").write_text(json.dumps(layers.metrics, indent=2, sort_keys=True))
    for entry in RESULT_ENTRIES:  # metrics.json is last: its presence marks a finished run
        if (stage / entry).exists():
            move_into_place(stage / entry, out_dir / entry)
    shutil.rmtree(stage, ignore_errors=True)
    layers.out_dir = str(out_dir)


def preview_frames(frames: np.ndarray, layers: Layers, max_height: int = 240):
    """Yield preview rows: input | each layer over a checkerboard | alpha | reconstruction."""
    N, H, W, _ = frames.shape
    scale = min(1.0, max_height / H)
    h, w = (int(H * scale) // 2) * 2, (int(W * scale) // 2) * 2
    for n in range(N):
        tiles = layer_tiles(frames[n], layers.rgba[:, n], layers.reconstruction[n],
                            cell=max(4, H // 24))
        row = torch.from_numpy(np.concatenate(tiles, axis=1)).permute(2, 0, 1)[None].float()
        row = F.interpolate(row, size=(h, w * len(tiles)), mode="area")
        yield row[0].permute(1, 2, 0).round().to(torch.uint8).numpy()


def write_preview(path: Path, frames: np.ndarray, layers: Layers) -> None:
    write_video(path, preview_frames(frames, layers), layers.fps)


def check_out_dir(out_dir: Optional[Path], overwrite: bool) -> None:
    """Refuse to silently replace a finished result or write into a folder of other files.

    A folder holding only an interrupted run (train/ without metrics.json) is resumed.
    """
    # Hydra's own records (.hydra/, <job>.log, <out>_input/) may already be there.
    check_overwrite(out_dir, overwrite, finished="metrics.json",
                    occupies=lambda name: name != "train" and not name.startswith(".")
                    and not name.endswith(".log"))
