"""What a person reads after an evaluation: figures, videos, a markdown table and JSON.

Every file is written atomically (to a temporary name in the same folder, then os.replace), so a
crash never leaves a half-written figure or metrics file behind.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import tempfile
from typing import Iterator, List, Optional, Sequence

import imageio.v3 as iio
import matplotlib.ticker
import numpy as np
# Figures are built as plain Figure objects, never through pyplot: importing omnigame must not
# switch the user's backend (a notebook keeps showing its figures).
from matplotlib.figure import Figure

from ..io.layers import over_checkerboard

logger = logging.getLogger(__name__)

MAX_LIST_IN_TABLE = 8  # longer lists (e.g. per-frame PSNR) are left to metrics.json


# ---------------------------------------------------------------------------------------------
# Atomic writers

@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path next to `path` (same extension); move it onto `path` on success."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    stem, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=ext, dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path: str, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def jsonable(x):
    """numpy scalars/arrays -> Python; nan/inf -> None (JSON has no NaN)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.integer, np.bool_)):
        return x.item()
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def write_json(path: str, obj) -> None:
    """Indented, sorted-key JSON (like the reference's eval output); nan becomes null."""
    write_text(path, json.dumps(jsonable(obj), indent=2, sort_keys=True) + "\n")


def write_video(path: str, frames: np.ndarray, fps: float) -> None:
    """(N, H, W, 3) uint8 -> H.264 mp4 (pyav). Odd sizes are edge-padded to even (yuv420p needs it)."""
    pad = ((0, 0), (0, frames.shape[1] % 2), (0, frames.shape[2] % 2), (0, 0))
    frames = np.pad(frames, pad, mode="edge")
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, frames, plugin="pyav", codec="libx264", fps=fps)


def _subplots(fig: Figure, nrows: int = 1, ncols: int = 1, figsize=None, squeeze: bool = True):
    if figsize is not None:
        fig.set_size_inches(*figsize)
    return fig.subplots(nrows, ncols, squeeze=squeeze)


def save_figure(fig, path: str, dpi: int = 100) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")


# ---------------------------------------------------------------------------------------------
# Figures

def pick_frames(n: int, count: int) -> List[int]:
    """`count` evenly spaced frame indices out of n (all of them if n <= count)."""
    return sorted(set(np.linspace(0, n - 1, min(n, count)).round().astype(int).tolist()))


def plot_psnr_per_frame(values: Sequence[float], path: str,
                        title: str = "Reconstruction PSNR per frame") -> None:
    """Line plot of per-frame PSNR (dB) against frame index, saved as PNG."""
    fig = Figure()
    ax = _subplots(fig, figsize=(6, 3))
    ax.plot(range(len(values)), values, marker="o", markersize=3)
    ax.set(xlabel="frame", ylabel="PSNR (dB)", title=title)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def contact_sheet(frames: np.ndarray, rgba: np.ndarray, reconstruction: np.ndarray, path: str,
                  object_names: Optional[Sequence[str]] = None, num_frames: int = 4) -> None:
    """Rows = a few frames; columns = input | each layer over a checkerboard | each alpha | reconstruction.

    frames, reconstruction: (N, H, W, 3) uint8; rgba: (L, N, H, W, 4) uint8.
    """
    L = rgba.shape[0]
    names = list(object_names or [f"{i + 1:02d}" for i in range(L)])
    titles = ["input"] + [f"layer {n}" for n in names] + [f"alpha {n}" for n in names] + ["reconstruction"]
    rows = pick_frames(frames.shape[0], num_frames)
    fig = Figure()
    axes = _subplots(fig, len(rows), len(titles), squeeze=False,
                    figsize=(1.8 * len(titles), 1.8 * len(rows) * frames.shape[1] / frames.shape[2]))
    for r, t in enumerate(rows):
        images = [frames[t]] + [over_checkerboard(rgba[k, t]) for k in range(L)]
        images += [rgba[k, t, ..., 3] for k in range(L)] + [reconstruction[t]]
        for c, image in enumerate(images):
            axes[r, c].imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            axes[r, c].set_xticks([]), axes[r, c].set_yticks([])
            axes[0, c].set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(f"frame {t}", fontsize=8)
    save_figure(fig, path)


def error_map(frames: np.ndarray, reconstruction: np.ndarray, path: str, num_frames: int = 4) -> None:
    """Heat maps of the per-pixel reconstruction error |input - reconstruction| (L2 over RGB, / 255).

    frames, reconstruction: (N, H, W, 3) uint8. One shared colour scale for all shown frames.
    """
    cols = pick_frames(frames.shape[0], num_frames)
    # only the shown frames: the float error of a whole long video would take gigabytes
    diff = frames[cols].astype(np.float32) - reconstruction[cols]
    err = dict(zip(cols, np.sqrt((diff ** 2).sum(-1)) / 255.0))  # frame -> (H, W)
    vmax = max(float(max(e.max() for e in err.values())), 1e-3)
    fig = Figure()
    axes = _subplots(fig, 1, len(cols), squeeze=False, figsize=(2.2 * len(cols) + 0.8, 2.4))
    for c, t in enumerate(cols):
        im = axes[0, c].imshow(err[t], cmap="inferno", vmin=0, vmax=vmax, interpolation="nearest")
        axes[0, c].set_title(f"frame {t}", fontsize=8)
        axes[0, c].set_xticks([]), axes[0, c].set_yticks([])
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="|input - recon| (RGB L2 / 255)")
    save_figure(fig, path)


# ---------------------------------------------------------------------------------------------
# Markdown

def _flatten(metrics: dict, prefix: str = "") -> Iterator[tuple]:
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def _format(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) > MAX_LIST_IN_TABLE:
            return f"{len(value)} values (see metrics.json)"
        return ", ".join(_format(v) for v in value)
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(metrics: dict) -> str:
    """Nested metrics dict -> a two-column markdown table; nested keys joined with '.'."""
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {name} | {_format(value)} |" for name, value in _flatten(metrics)]
    return "\n".join(lines) + "\n"
