"""What a person reads after an evaluation besides the contact sheet: plots and a markdown table.

Figures are saved atomically (omnigame.io.files.atomic_path), so a crash never leaves a
half-written one; the contact sheet is omnigame.io.sheets.layers_sheet.
"""
from __future__ import annotations

import logging
import math
from typing import Iterator, Sequence

import matplotlib.ticker
import numpy as np
# Figures are built as plain Figure objects, never through pyplot: importing omnigame must not
# switch the user's backend (a notebook keeps showing its figures).
from matplotlib.figure import Figure

from ..io.files import atomic_path
from ..io.sheets import pick_frames

logger = logging.getLogger(__name__)

MAX_LIST_IN_TABLE = 8  # longer lists (e.g. per-frame PSNR) are left to metrics.json


def _subplots(fig: Figure, nrows: int = 1, ncols: int = 1, figsize=None, squeeze: bool = True):
    if figsize is not None:
        fig.set_size_inches(*figsize)
    return fig.subplots(nrows, ncols, squeeze=squeeze)


def save_figure(fig, path: str, dpi: int = 100) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")


# ---------------------------------------------------------------------------------------------
# Figures

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
