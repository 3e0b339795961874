"""Turning model-size layers into a `Layers` result at the input resolution, and writing it.

Output folder:
    layers/<object>/<frame>.png   RGBA layer of each object in each frame (input resolution)
    background.png                the background (background/<frame>.png if it moves)
    reconstruction/<frame>.png    all layers composited back-to-front over the background
    order.txt                     per frame, the object names back to front
    homographies.txt              a moving camera's path (Omnimatte's format; world = the
                                  first frame's pixels), when the video was stabilised
    background_stabilised.png     the background on the stabilised canvas (a panorama)
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
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..data.prepare import resize_masks
from ..model.rgba_decoder import ALPHA_FLOOR
from .alpha_denoise import denoise_effect_alpha
from .alpha_fit import STILL_LEVEL, fit_effect_alpha
from .background_motion import LEVEL, background_noise, drop_background_motion
from .edge_matte import matte_edges
from .hand_over import hand_over_detached
from .shadow_grow import grow_shadows, still_noise
from .specks import drop_specks as drop_specks_alpha
from .steady_effects import steady_effects
from .steady_owner import steady_owner as steady_owner_alpha
from .effect_tracks import apply_donors, track_owner as track_owner_donors
from .files import check_overwrite, move_into_place, write_frames, write_png, write_video
from .homographies import homographies_text
from .layers import Layers
from .sheets import layer_tiles
from .video import Video

RESULT_ENTRIES = ("layers", "background.png", "background", "reconstruction", "preview.mp4",
                  "order.txt", "homographies.txt", "background_stabilised.png", "config.yaml",
                  "metrics.json")


def bilinear(size) -> Callable[[torch.Tensor, range], torch.Tensor]:
    """The static camera's model-to-frame map: (n, C, h, w) -> (n, C, *size) bilinear."""
    return lambda x, frames: F.interpolate(x, size=tuple(size), mode="bilinear",
                                           align_corners=False)


def resample_layers(rgba: torch.Tensor, to_frames, frames: range) -> torch.Tensor:
    """(L, n, 4, h, w) float -> (L, n, 4, H, W) float in [0, 1] by `to_frames`, on
    premultiplied colour.

    to_frames(images (n, C, h, w), frames) -> (n, C, H, W): bilinear upsampling, or the canvas
    of a moving camera warped into each frame. Resampling straight colour mixes the colour of
    transparent pixels (meaningless) into the edges: halos. Premultiplied colour is what
    compositing uses, so it resamples correctly.
    """
    L, n = rgba.shape[:2]
    alpha = rgba[:, :, 3:]
    premult = torch.cat([rgba[:, :, :3] * alpha, alpha], 2)  # (L, n, 4, h, w)
    up = torch.stack([to_frames(premult[i], frames) for i in range(L)])
    a = up[:, :, 3:].clamp(0, 1)
    colour = up[:, :, :3] / a.clamp_min(1e-4)
    return torch.cat([colour, a], 2).clamp(0, 1)


def upsample_layers(rgba: torch.Tensor, size) -> torch.Tensor:
    """(L, n, 4, h, w) -> (L, n, 4, *size), premultiplied bilinear (a static camera)."""
    if tuple(rgba.shape[-2:]) == tuple(size):
        return rgba
    return resample_layers(rgba, bilinear(size), range(rgba.shape[1]))


def full_range_alpha(rgba: torch.Tensor) -> torch.Tensor:
    """(..., 4, h, w) decoder output -> the same with alpha stretched from [ALPHA_FLOOR,
    1 - ALPHA_FLOOR] to [0, 1].

    The decoder's alpha never reaches 0 (a clamped logit under tanh): its floor, 0.0025, means
    "nothing of this object here", yet it rounds to 1/255 on every pixel of every layer. That
    veil covers other objects' effects, so a layer seems to claim part of every faint shadow or
    reflection (dev benchmark: association 0.782 with it, 0.793 with those pixels at 0). The
    frame changes by at most 0.0025 of a colour difference.
    """
    out = rgba.clone()
    out[..., 3, :, :] = ((rgba[..., 3, :, :] - ALPHA_FLOOR) / (1 - 2 * ALPHA_FLOOR)).clamp(0, 1)
    return out


def sharpen_alpha(rgba: torch.Tensor, masks: np.ndarray, seen: torch.Tensor) -> torch.Tensor:
    """Mask-guided alpha at the input resolution: the input mask's edges, the model's effects.

    rgba (L, n, 4, H, W) resampled layers; masks (L, n, H, W) bool input masks; seen
    (L, n, H, W) float: the masks as the model saw them (at its size), resampled the same way
    as the layers. The model's alpha follows that blurred silhouette. Outside the mask, what it
    adds beyond the silhouette (shadows, reflections) is kept; inside, the layer is opaque: the
    mask says the object is there, and a short test-time training that has not yet made it
    opaque would otherwise show the background through the object. Hats and limbs stay sharp.
    """
    m = torch.from_numpy(np.ascontiguousarray(masks)).float()
    out = rgba.clone()
    out[:, :, 3] = torch.maximum(m, rgba[:, :, 3] - seen).clamp(0, 1)
    return out


def model_masks(masks: np.ndarray, size) -> torch.Tensor:
    """(L, N, H, W) bool input masks -> (L, N, *size) bool, as `prepare` gives them the model."""
    L, N = masks.shape[:2]
    flat = torch.from_numpy(np.ascontiguousarray(masks)).reshape(L * N, *masks.shape[2:])
    return resize_masks(flat, size).view(L, N, *size)


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
                 detail: bool, sharpen: bool = True, chunk: int = 8, to_frames=None,
                 seen_masks: Optional[torch.Tensor] = None, fit_alpha: bool = False,
                 grow_shadow: bool = False, edge_matte: bool = False,
                 hand_over: bool = False, drop_motion: bool = False,
                 steady: bool = False, steady_owner: bool = False, track_owner: bool = False,
                 denoise_alpha: bool = False, drop_specks: bool = False) -> Layers:
    """Model-size layers (L, N, 4, h, w) -> a Layers result at the video's resolution.

    to_frames: how model-size images reach the frames (resample_layers); default bilinear
    upsampling (a static camera). seen_masks (L, N, h, w) bool: the masks the model saw
    (default: the video's masks resized to h, w). sharpen: mask-guided alpha (sharpen_alpha);
    detail: detail transfer (transfer_detail); fit_alpha: effect alpha fitted to the frame
    (fit_effect_alpha); grow_shadow: the change no layer explains (a darkening; any change
    where the background is usually still), given to the layer it touches (grow_shadows);
    hand_over: an effect patch that does not touch its own object but touches one other,
    given to that object (hand_over_detached); drop_motion: a patch of layer whose change is
    within twice the background's own there removed, but for its parts above alpha 0.5 that
    are stronger (drop_background_motion); edge_matte:
    each object's rim outside its mask matted (matte_edges); steady: where the background
    moves, alpha no frame `gap` before or after holds at the same place relative to the layer
    capped (steady_effects); steady_owner: alpha a layer holds in one frame only, at a place
    another layer holds in the frames around, handed to that layer (steady_owner);
    track_owner: an effect that changes layers mid-clip given whole to the layer that holds
    most of it (effect_tracks), on the layers as every step before it leaves them;
    denoise_alpha: alpha beyond each mask's rim lightly blurred, the composite kept
    (denoise_effect_alpha); drop_specks: small patches away from their object, where the
    background moves, dropped (specks.drop_specks). Detail
    transfer comes last, on the layers as they will be written. Works `chunk` frames at a time straight into the uint8
    result, so no float copy of the whole video at full resolution is ever held.
    """
    N, H, W, _ = video.frames.shape
    to_frames = to_frames or bilinear((H, W))
    bg = np.broadcast_to(background, (N, H, W, 3)) if background.ndim == 3 else background
    layers = Layers(np.empty((rgba_small.shape[0], N, H, W, 4), np.uint8),
                    np.ascontiguousarray(bg), np.empty_like(video.frames), video.order,
                    list(video.object_names), video.fps)
    resized = tuple(rgba_small.shape[-2:]) != (H, W)
    rgba_small = full_range_alpha(rgba_small)
    model_pixel = max(H / rgba_small.shape[-2], W / rgba_small.shape[-1])  # in frame pixels
    # the blur bilinear upsampling leaves around an effect is about one model pixel wide
    reach = int(np.ceil(1.5 * model_pixel))
    # where the background is usually still, over the whole video (grow_shadows' guard,
    # fit_effect_alpha's reach)
    still = (still_noise(video.frames, bg, video.masks)
             if grow_shadow or fit_alpha or steady or drop_specks else None)
    chw = lambda a, cut: torch.from_numpy(np.ascontiguousarray(a[cut])).permute(0, 3, 1, 2).float() / 255
    for s in range(0, N, chunk):
        part = range(s, min(N, s + chunk))
        cut = slice(part.start, part.stop)
        rgba = resample_layers(rgba_small[:, cut], to_frames, part)
        if sharpen and (resized or seen_masks is not None):
            seen = (seen_masks[:, cut] if seen_masks is not None
                    else model_masks(video.masks[:, cut], rgba_small.shape[-2:]))
            seen = torch.stack([to_frames(m[:, None].float(), part)[:, 0] for m in seen])
            rgba = sharpen_alpha(rgba, video.masks[:, cut], seen)
        # the frames, plate and order of this chunk, as the fits and detail transfer take them
        frames, plate = chw(video.frames, cut), chw(bg, cut)
        order = torch.from_numpy(video.order[cut])
        if fit_alpha:
            rgba = fit_effect_alpha(rgba, frames, plate, order, video.masks[:, cut], reach,
                                    still=still)
        if grow_shadow:
            rgba = grow_shadows(rgba, frames, plate, order, video.masks[:, cut], still=still)
        if hand_over:
            rgba = hand_over_detached(rgba, video.masks[:, cut])
        if edge_matte:
            rgba = matte_edges(rgba, frames, plate, order, video.masks[:, cut])
        layers.rgba[:, cut] = to_uint8(rgba.permute(0, 1, 3, 4, 2))
        layers.reconstruction[cut] = layers.composite(frames=part)
    if drop_motion:  # on every frame's layers, so the noise leaves all their effects out
        cover = (layers.rgba[..., 3] > round(255 * LEVEL)).any(0)  # (N, H, W)
        noise = background_noise(video.frames, bg, video.masks, cover)
        _rework(layers, chunk, lambda rgba, cut: drop_background_motion(
            rgba, chw(bg, cut), torch.from_numpy(video.order[cut]), video.masks[:, cut], noise))
    if steady:  # on every frame's layers: each frame is checked against its neighbours
        capped = steady_effects(layers.rgba[..., 3], video.masks, still >= STILL_LEVEL,
                                tol=int(np.ceil(model_pixel)))
        _rework(layers, chunk, lambda rgba, cut: _with_alpha(rgba, capped[:, cut]))
    if steady_owner:  # after steady: what a layer keeps is what its neighbours hold
        owned = steady_owner_alpha(layers.rgba[..., 3], video.masks,
                                   tol=int(np.ceil(model_pixel)))
        _rework(layers, chunk, lambda rgba, cut: _with_alpha(rgba, owned[:, cut]))
    if denoise_alpha:  # on the layers as the steps above leave them, before the residual
        _rework(layers, chunk, lambda rgba, cut: denoise_effect_alpha(
            rgba, chw(bg, cut), torch.from_numpy(video.order[cut]), video.masks[:, cut]))
    if drop_specks:  # on every frame's layers as the steps above leave them
        kept = drop_specks_alpha(layers.rgba[..., 3], video.masks, still >= STILL_LEVEL)
        _rework(layers, chunk, lambda rgba, cut: _with_alpha(rgba, kept[:, cut]))
    donor = track_owner_donors(layers.rgba[..., 3], video.masks) if track_owner else None
    if donor is not None and (donor >= 0).any():  # last alpha step; most videos have no swap
        _rework(layers, chunk, lambda rgba, cut: apply_donors(rgba, donor[:, cut]))
    if detail:  # last: the residual goes into the layers as they will be written
        _rework(layers, chunk, lambda rgba, cut: transfer_detail(
            rgba, chw(video.frames, cut), chw(layers.reconstruction, cut),
            torch.from_numpy(video.order[cut])))
    return layers


def _with_alpha(rgba: torch.Tensor, alpha: np.ndarray) -> torch.Tensor:
    """rgba (L, n, 4, H, W) in [0, 1], alpha (L, n, H, W) uint8 -> rgba with that alpha."""
    rgba[:, :, 3] = torch.from_numpy(np.ascontiguousarray(alpha)).to(rgba.dtype) / 255
    return rgba


def _rework(layers: Layers, chunk: int, step: Callable) -> None:
    """In place on a built result: step(rgba (L, n, 4, H, W) in [0, 1], frames slice) -> rgba
    on the uint8 layers, `chunk` frames at a time, then the reconstruction again."""
    for s in range(0, layers.num_frames, chunk):
        part = range(s, min(layers.num_frames, s + chunk))
        cut = slice(part.start, part.stop)
        rgba = torch.from_numpy(layers.rgba[:, cut]).permute(0, 1, 4, 2, 3).float() / 255
        layers.rgba[:, cut] = to_uint8(step(rgba, cut).permute(0, 1, 3, 4, 2))
        layers.reconstruction[cut] = layers.composite(frames=part)


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
    if layers.homographies is not None:
        size = layers.rgba.shape[2:4]
        (stage / "homographies.txt").write_text(homographies_text(layers.homographies, size))
        write_png(stage / "background_stabilised.png", layers.stabilised_background)
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
