"""Contact sheets: rows of image tiles saved as one PNG, to see layers and scenes at a glance.

contact_sheet is the one writer; the rest build its rows: layer_tiles (input | each layer over
a checkerboard | each alpha | reconstruction), layers_sheet (those rows for a few frames of a
result), mask_image (masks in palette colours), outline (masks drawn as coloured outlines),
pick_frames (evenly spaced frames). Titles head the columns and labels start the rows, in
PIL's default font.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .files import atomic_path, write_png
from .layers import over_checkerboard

# one colour per object, wherever objects are told apart by colour
PALETTE = np.array([[230, 60, 60], [60, 180, 75], [70, 110, 230], [240, 200, 40],
                    [200, 80, 220], [60, 210, 210]], np.uint8)
WHITE = 255


def pick_frames(n: int, count: int) -> List[int]:
    """`count` evenly spaced frame indices out of n (all of them if n <= count)."""
    return sorted(set(np.linspace(0, n - 1, min(n, count)).round().astype(int).tolist()))


def mask_image(masks: np.ndarray) -> np.ndarray:
    """(L, H, W) bool -> (H, W, 3) uint8, each object in its palette colour on black."""
    out = np.zeros(masks.shape[1:] + (3,), np.uint8)
    for i, m in enumerate(masks):
        out[m] = PALETTE[i % len(PALETTE)]
    return out


def outline(image: np.ndarray, masks: np.ndarray, colours=PALETTE, width: int = 1) -> np.ndarray:
    """(H, W) or (H, W, 3) uint8 image -> (H, W, 3) with each mask of (L, H, W) bool drawn as an
    outline `width` pixels wide (the mask's pixels within `width` of its outside) in
    colours[object]. Wider outlines survive a sheet's shrinking of the tile."""
    out = as_rgb(image).copy()
    for i, m in enumerate(masks):
        inner = m
        for _ in range(width):  # erode by one pixel (4-neighbourhood) per step
            p = np.pad(inner, 1, constant_values=False)
            inner = inner & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
        out[m & ~inner] = colours[i % len(colours)]
    return out


def as_rgb(tile: np.ndarray) -> np.ndarray:
    """(H, W) grey, (H, W, 3) or (H, W, 4) uint8 -> (H, W, 3); an alpha channel is dropped."""
    return np.repeat(tile[..., None], 3, -1) if tile.ndim == 2 else tile[..., :3]


def layer_tiles(frame: np.ndarray, rgba: np.ndarray, reconstruction: Optional[np.ndarray] = None,
                cell: int = 8) -> List[np.ndarray]:
    """Input | each layer over a checkerboard | each alpha (white = opaque) | reconstruction.

    frame, reconstruction (H, W, 3) uint8; rgba (L, H, W, 4) uint8 layers of that frame;
    cell: the checkerboard's square size in pixels.
    """
    tiles = [frame] + list(over_checkerboard(rgba, cell=cell)) + [as_rgb(a) for a in rgba[..., 3]]
    return tiles + ([reconstruction] if reconstruction is not None else [])


def _fit(tile: np.ndarray, height: Optional[int]) -> np.ndarray:
    if height is None or tile.shape[0] == height:
        return as_rgb(tile)
    width = max(1, round(tile.shape[1] * height / tile.shape[0]))
    # Pillow's bilinear filter widens with the scale when shrinking: no aliasing
    return np.asarray(Image.fromarray(as_rgb(tile)).resize((width, height), Image.BILINEAR))


def grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 2, height: Optional[int] = None):
    """Rows of tiles of one size (after resizing to `height`) -> (H', W', 3) uint8 with white
    gaps between tiles; shorter rows are padded with white."""
    rows = [[_fit(t, height) for t in row] for row in rows]
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + gap) - gap, cols * (w + gap) - gap, 3), WHITE, np.uint8)
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            out[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = tile
    return out


def _annotate(sheet: np.ndarray, titles, labels, tile_hw, gap: int) -> np.ndarray:
    """Add a header band with column titles and a left band with row labels (black on white)."""
    font = ImageFont.load_default()
    size = lambda s: ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), s, font=font)[2:]
    top = (max(size(t)[1] for t in titles) + 4) if titles else 0
    left = (max(size(s)[0] for s in labels) + 6) if labels else 0
    img = Image.new("RGB", (sheet.shape[1] + left, sheet.shape[0] + top), (WHITE,) * 3)
    img.paste(Image.fromarray(sheet), (left, top))
    draw = ImageDraw.Draw(img)
    h, w = tile_hw
    for j, title in enumerate(titles or []):
        while title and size(title)[0] > w:  # a too-long title is cut, not spilled on the next
            title = title[:-1]
        draw.text((left + j * (w + gap), 1), title, fill=(0, 0, 0), font=font)
    for i, label in enumerate(labels or []):
        draw.text((2, top + i * (h + gap) + max(0, (h - size(label)[1]) // 2)), label,
                  fill=(0, 0, 0), font=font)
    return np.asarray(img)


def contact_sheet(rows: Sequence[Sequence[np.ndarray]], path, titles: Sequence[str] = (),
                  labels: Sequence[str] = (), height: Optional[int] = None, gap: int = 2,
                  colours: int = 0) -> np.ndarray:
    """Write rows of tiles as one PNG (atomically) to `path`; returns the sheet (H', W', 3).

    rows: lists of (H, W), (H, W, 3) or (H, W, 4) uint8 tiles, all of one size; height: resize
    every tile to this height (None: as they are); titles: one per column; labels: one per row;
    colours > 0: a palette PNG of that many colours (small files, for sheets kept in the repo).
    """
    sheet = grid(rows, gap, height)
    if titles or labels:
        tile = _fit(rows[0][0], height).shape[:2]
        sheet = _annotate(sheet, list(titles), list(labels), tile, gap)
    with atomic_path(path) as tmp:
        write_png(tmp, sheet, level=9, colours=colours)
    return sheet


def layers_sheet(frames: np.ndarray, rgba: np.ndarray, reconstruction: np.ndarray, path,
                 object_names: Optional[Sequence[str]] = None, num_frames: int = 4,
                 height: Optional[int] = 160) -> np.ndarray:
    """A decomposition at a glance: rows = a few frames; columns as layer_tiles.

    frames, reconstruction: (N, H, W, 3) uint8; rgba: (L, N, H, W, 4) uint8. Returns the sheet.
    """
    names = list(object_names or [f"{i + 1:02d}" for i in range(rgba.shape[0])])
    titles = ["input"] + [f"layer {n}" for n in names] + [f"alpha {n}" for n in names]
    picks = pick_frames(frames.shape[0], num_frames)
    rows = [layer_tiles(frames[t], rgba[:, t], reconstruction[t]) for t in picks]
    return contact_sheet(rows, path, titles + ["reconstruction"], [f"frame {t}" for t in picks],
                         height=min(height, frames.shape[1]) if height else None)
