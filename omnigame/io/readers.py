"""Reading user videos in the three layouts omnigame accepts, with errors that name the fix.

1. An Omnimatte folder: rgb/*.png, mask/01/*.png, mask/02/*.png, ..., optional bg_est.png,
   order.txt (back-to-front object ids per frame) and valid_mask/*.png.
2. An mp4 (or a folder holding input_video.mp4 and mask_NN.mp4) plus one mask video per object.
3. A folder of frames plus one folder of mask frames per object.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import imageio.v3 as iio
import numpy as np

from .video import InputError, Video

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXT = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif")


def list_images(folder: Path) -> List[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXT)
    if not files:
        raise InputError(f"{folder}: no image files ({', '.join(IMAGE_EXT)}) found; "
                         f"put one image per frame in this folder")
    return files


def read_image(path: Path) -> np.ndarray:
    try:
        img = iio.imread(path)
    except Exception as err:  # imageio raises many types for a bad file
        raise InputError(f"{path}: cannot be read as an image ({err}); re-export it as PNG") from err
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.dtype != np.uint8:
        img = (img.astype(np.float64) / np.iinfo(img.dtype).max * 255).round().astype(np.uint8)
    return img[..., :3]


def read_video_file(path: Path) -> Tuple[np.ndarray, float]:
    """-> frames (N, H, W, 3) uint8 and fps."""
    try:
        # one opening for frames and fps: closing the pyav plugin runs a full gc.collect()
        with iio.imopen(path, "r", plugin="pyav") as video:
            frames = video.read()
            fps = float(video.metadata().get("fps") or 24.0)
    except Exception as err:
        raise InputError(f"{path}: cannot be decoded as a video ({err}); re-encode it as "
                         f"H.264 mp4, e.g. ffmpeg -i {path.name} -c:v libx264 out.mp4") from err
    if frames.ndim != 4 or len(frames) == 0:
        raise InputError(f"{path}: the video has no frames; give a video with at least one frame")
    return frames[..., :3], fps


def read_frames(source: Path) -> Tuple[np.ndarray, float, List[str], List[Path]]:
    """A video file or a folder of images -> frames, fps, frame names, per-frame files."""
    if source.is_file():
        frames, fps = read_video_file(source)
        return frames, fps, [f"{i:05d}" for i in range(len(frames))], [source] * len(frames)
    files = list_images(source)
    frames = [read_image(p) for p in files]
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        bad = next(p for p, f in zip(files, frames) if f.shape != frames[0].shape)
        raise InputError(f"{bad}: size {read_image(bad).shape[:2]} differs from "
                         f"{files[0].name}'s {frames[0].shape[:2]}; resize all frames alike")
    return np.stack(frames), 24.0, [p.stem for p in files], files


def read_mask(source: Path, frame_names: List[str], size, threshold: float) -> np.ndarray:
    """One object's masks -> (N, H, W) bool; checks count, names and size against the frames."""
    frames, _, names, files = read_frames(source)
    N = len(frame_names)
    if len(frames) != N:
        hint = _missing_hint(frame_names, names) if source.is_dir() else ""
        raise InputError(f"{source}: {len(frames)} mask frames but the video has {N} frames"
                         f"{hint}; give exactly one mask per frame")
    if frames.shape[1:3] != tuple(size):
        raise InputError(f"{files[0]}: mask size {frames.shape[1:3]} differs from the frame size "
                         f"{tuple(size)}; masks must match the frames pixel for pixel")
    masks = frames.max(axis=3) >= threshold * 255
    if not masks.any():
        raise InputError(f"{source}: the mask is empty in every frame; each object needs a "
                         f"non-empty mask in at least one frame (white = object)")
    return masks


def _missing_hint(expected: Sequence[str], got: Sequence[str]) -> str:
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    parts = []
    if missing:
        parts.append(f" (missing: {', '.join(missing[:5])}{'...' if len(missing) > 5 else ''})")
    if extra:
        parts.append(f" (extra: {', '.join(extra[:5])}{'...' if len(extra) > 5 else ''})")
    return "".join(parts)


def read_order(path: Path, names: List[str], num_frames: int) -> np.ndarray:
    """order.txt -> (N, L) back-to-front object indices."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    if len(lines) != num_frames:
        raise InputError(f"{path}: {len(lines)} lines but the video has {num_frames} frames; "
                         f"write one line per frame listing object ids back to front")
    lookup = {n: i for i, n in enumerate(names)}
    lookup.update({str(int(n)): i for i, n in enumerate(names) if n.isdigit()})
    order = []
    for f, ids in enumerate(lines):
        if len(ids) != len(names) or any(i not in lookup for i in ids):
            raise InputError(f"{path}: line {f + 1} is '{' '.join(ids)}' but the objects are "
                             f"{' '.join(names)}; list each object id once, back to front")
        order.append([lookup[i] for i in ids])
    order = np.array(order, dtype=np.int64)
    if any(len(set(row)) != len(names) for row in order):
        raise InputError(f"{path}: an object is listed twice on one line; list each once")
    return order


def default_order(num_frames: int, num_objects: int) -> np.ndarray:
    """Without order.txt: objects in mask order, first one at the back, in every frame."""
    return np.tile(np.arange(num_objects, dtype=np.int64), (num_frames, 1))


def find_mask_videos(folder: Path) -> List[Path]:
    masks = sorted(p for p in folder.iterdir()
                   if p.name.startswith("mask") and p.suffix.lower() in VIDEO_EXT)
    if not masks:
        raise InputError(f"{folder}: no mask_NN.mp4 files next to the video; give masks=[...] "
                         f"with one mask video or folder per object")
    return masks


def read_omnimatte_folder(root: Path, threshold: float) -> Video:
    """The Omnimatte layout (see module docstring)."""
    frames, fps, names, _ = read_frames(root / "rgb")
    mask_root = root / "mask"
    obj_dirs = sorted(p for p in mask_root.iterdir() if p.is_dir()) if mask_root.is_dir() else []
    if not obj_dirs:
        raise InputError(f"{mask_root}: no object folders; put each object's masks in "
                         f"{mask_root}/01, {mask_root}/02, ... with the same file names as rgb/")
    size = frames.shape[1:3]
    masks = np.stack([_read_named_masks(d, names, size, threshold) for d in obj_dirs])
    obj_names = [d.name for d in obj_dirs]
    order_file = root / "order.txt"
    order = (read_order(order_file, obj_names, len(frames)) if order_file.exists()
             else default_order(len(frames), len(obj_names)))
    bg = _read_optional_bg(root / "bg_est.png", size)
    valid = None
    if (root / "valid_mask").is_dir():
        valid = _read_named_masks(root / "valid_mask", names, size, 0.5, allow_empty=True)
    return Video(frames, masks, order, bg, valid, fps, obj_names, names, str(root))


def _read_named_masks(folder: Path, names: List[str], size, threshold: float,
                      allow_empty: bool = False) -> np.ndarray:
    files = {p.stem: p for p in list_images(folder)}
    if set(files) != set(names):
        raise InputError(f"{folder}: mask files do not match the frames{_missing_hint(names, list(files))}; "
                         f"give one mask per frame with the frame's file name")
    masks = []
    for n in names:
        img = read_image(files[n])
        if img.shape[:2] != tuple(size):
            raise InputError(f"{files[n]}: mask size {img.shape[:2]} differs from the frame size "
                             f"{tuple(size)}; masks must match the frames pixel for pixel")
        masks.append(img.max(axis=2) >= threshold * 255)
    masks = np.stack(masks)
    if not allow_empty and not masks.any():
        raise InputError(f"{folder}: the mask is empty in every frame; each object needs a "
                         f"non-empty mask in at least one frame (white = object)")
    return masks


def _read_optional_bg(path: Path, size) -> Optional[np.ndarray]:
    if not path.exists():
        return None
    bg = read_image(path)
    if bg.shape[:2] != tuple(size):
        raise InputError(f"{path}: size {bg.shape[:2]} differs from the frame size {tuple(size)}; "
                         f"save the background at the frame size, or delete it to estimate one")
    return bg


def read_input(video, masks: Optional[Sequence] = None, threshold: float = 0.5) -> Video:
    """Dispatch on the layout; see the module docstring."""
    root = Path(os.fspath(video)).expanduser()
    if not root.exists():
        raise InputError(f"{root}: no such file or folder; give an Omnimatte folder, "
                         f"a frames folder or a video file")
    if not masks and root.is_dir() and (root / "rgb").is_dir():
        return read_omnimatte_folder(root, threshold)
    if root.is_dir() and not masks and (root / "input_video.mp4").exists():
        return read_input(root / "input_video.mp4", find_mask_videos(root), threshold)
    if not masks:
        raise InputError(f"{root}: no masks given and no rgb/ + mask/ folders inside; pass "
                         f"masks=[mask video or folder per object]")
    frames, fps, names, _ = read_frames(root)
    mask_paths = [Path(os.fspath(m)).expanduser() for m in masks]
    for m in mask_paths:
        if not m.exists():
            raise InputError(f"{m}: no such mask file or folder")
    stack = np.stack([read_mask(m, names, frames.shape[1:3], threshold) for m in mask_paths])
    obj_names = [m.stem for m in mask_paths]
    return Video(frames, stack, default_order(len(frames), len(masks)), None, None, fps,
                 obj_names, names, str(root))
