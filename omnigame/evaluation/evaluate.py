"""Evaluate a decomposition: reconstruction, temporal stability, ground truth, background composition.

    metrics = evaluate(layers, video, gt_dir="scenes/0003", out_dir="runs/0003/eval")

Protocols (see docs of omnigame.evaluation.metrics / warping / frechet for exact definitions):
  - reconstruction PSNR / SSIM of layers.reconstruction against the input frames;
  - warping error of every layer, of the reconstruction and (as a floor) of the input itself, along
    optical flow estimated once on the input frames;
  - with ground truth: the reference's effect IoU, alpha error, RGBA PSNR, association accuracy;
  - background composition: the object layers over new backgrounds, saved as mp4, and FVD between the
    composites and the backgrounds when a feature extractor is given (else "fvd": null and a note).
"""
from __future__ import annotations

import glob
import logging
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import imageio.v3 as iio
import numpy as np
from skimage.transform import resize

from omnigame.evaluation import frechet, metrics, report, warping
from omnigame.io.files import write_json, write_text, write_video
from omnigame.io.layers import Layers
from omnigame.io.sheets import layers_sheet
from omnigame.io.video import Video

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Ground truth on disk

@dataclass
class GroundTruth:
    """Ground truth of a synthetic scene, channel-last uint8 numpy; any part may be missing (None).

    layers:       (L, N, H, W, 4) true RGBA layers, object + effects (gt/layers/<obj>/<frame>.png).
    effect_masks: (L, N, H, W) true object+effect masks 0/255 (gt/effect_mask/...: where the true layer visibly changes the plate).
    background:   (H, W, 3) true clean plate (gt/bg.png), or (N, H, W, 3) where the true background
                  changes over the frames (live footage behind the objects: gt/background/<frame>.png).
    object_names: folder names of the objects, e.g. ["01", "02"], in layer order.
    """

    layers: Optional[np.ndarray] = None
    effect_masks: Optional[np.ndarray] = None
    background: Optional[np.ndarray] = None
    object_names: List[str] = field(default_factory=list)


def _read_grey(path: str) -> np.ndarray:
    image = iio.imread(path)
    return image if image.ndim == 2 else image[..., 0]


def _read_stack(folder: str, reader) -> Optional[tuple]:
    """<folder>/<obj>/<frame>.png -> ((L, N, H, W, ...) array, object names), or None if absent."""
    objects = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))) \
        if os.path.isdir(folder) else []
    if not objects:
        return None
    stacks = []
    for name in objects:
        files = sorted(glob.glob(os.path.join(folder, name, "*.png")))
        if not files:
            raise FileNotFoundError(f"{folder}/{name}: no PNG frames")
        stacks.append(np.stack([reader(f) for f in files]))
    if len({s.shape for s in stacks}) != 1:
        raise ValueError(f"{folder}: objects have different frame counts or sizes "
                         f"{[s.shape for s in stacks]}")
    return np.stack(stacks), objects


def load_ground_truth(gt_dir: str) -> GroundTruth:
    """Read a scene's ground truth. gt_dir is the scene folder (holding gt/) or its gt/ folder itself."""
    root = os.path.join(gt_dir, "gt") if os.path.isdir(os.path.join(gt_dir, "gt")) else gt_dir
    if not os.path.isdir(root):
        raise FileNotFoundError(f"ground truth folder {root} does not exist")
    gt = GroundTruth()
    found = _read_stack(os.path.join(root, "layers"), iio.imread)
    if found is not None:
        gt.layers, gt.object_names = found
        if gt.layers.shape[-1] != 4:
            raise ValueError(f"{root}/layers: PNGs must be RGBA, got shape {gt.layers.shape}")
    found = _read_stack(os.path.join(root, "effect_mask"), _read_grey)
    if found is not None:
        gt.effect_masks, gt.object_names = found
    frames = sorted(glob.glob(os.path.join(root, "background", "*.png")))
    if frames:  # per frame: the background moves (waves), so no single plate is the truth
        gt.background = np.stack([iio.imread(f)[..., :3] for f in frames])
    elif os.path.exists(os.path.join(root, "bg.png")):
        gt.background = iio.imread(os.path.join(root, "bg.png"))[..., :3]
    logger.info("ground truth %s: layers %s, effect masks %s, background %s", root,
                None if gt.layers is None else gt.layers.shape,
                None if gt.effect_masks is None else gt.effect_masks.shape,
                None if gt.background is None else gt.background.shape)
    return gt


# ---------------------------------------------------------------------------------------------
# Metric groups

def reconstruction_metrics(layers: Layers, video: Video,
                           progress: bool = False) -> Dict[str, object]:
    """PSNR (over video.valid pixels when given), SSIM and per-frame PSNR of the reconstruction."""
    recon, frames = layers.reconstruction, video.frames
    return {"psnr": metrics.psnr(recon, frames, mask=video.valid),
            "ssim": metrics.ssim(recon, frames, progress),
            "psnr_per_frame": metrics.psnr_per_frame(recon, frames)}


def warping_metrics(layers: Layers, video: Video, flow_method: str = "tvl1",
                    progress: bool = False) -> Dict[str, object]:
    """Warping error (premultiplied RGBA / RGB, [0, 1] units) along flow estimated on the input.

    As in the usual protocol (Lai et al. 2018) the flow comes from the input video, so it follows the
    visible surface: a layer that is hidden or uncovered by a moving object there (e.g. a static
    background plate behind it) scores a small non-zero error even if it is perfectly stable; the
    forward-backward check removes most, not all, of those pixels. Compare layers against the
    "input" entry, the warping error of the input video itself along the same flow.
    """
    if video.num_frames < 2:
        return {"note": "fewer than 2 frames: no warping error"}
    videos = {"input": video.frames, "reconstruction": layers.reconstruction,
              "background": layers.background,
              **{f"layer {name}": layers.rgba[k] for k, name in enumerate(layers.object_names)}}
    errors, fraction = warping.warping_errors(videos, video.frames, flow_method, video.valid,
                                              progress=progress)
    return {"input": errors["input"], "reconstruction": errors["reconstruction"],
            "background": errors["background"],
            "layers": {name: errors[f"layer {name}"] for name in layers.object_names},
            "flow": flow_method, "valid_fraction": fraction}


def _effect_reference(gt: GroundTruth, layers: Layers) -> tuple:
    """(masks (L, N, H, W) 0..255, their source, background (H, W, 3) or (N, H, W, 3), its source)."""
    if gt.background is not None:
        background = gt.background
        bg_source = "gt/background" if background.ndim == 4 else "gt/bg.png"
    else:
        logger.warning("effect IoU: no gt/bg.png; compositing over the decomposition's own background")
        background, bg_source = layers.background, "predicted background (no gt/bg.png)"
    if gt.effect_masks is not None:
        return gt.effect_masks, "gt/effect_mask", background, bg_source
    # a layer's alpha is no object+effect mask (a 40% shadow would count 0.4); its footprint is one
    return (metrics.visible_footprint(gt.layers, background),
            f"visible footprint of gt/layers over {bg_source} (no gt/effect_mask)", background, bg_source)


def _check_gt_shape(name: str, gt_shape: tuple, layers: Layers) -> None:
    want = layers.rgba.shape[:4]
    if tuple(gt_shape[:4]) != want:
        raise ValueError(f"ground truth {name} has (objects, frames, H, W) = {tuple(gt_shape[:4])} but "
                         f"the layers have {want}; evaluate at the ground truth's resolution and frames")


def ground_truth_metrics(layers: Layers, video: Video, gt: GroundTruth) -> Dict[str, object]:
    """Effect IoU (reference protocol) and, with true layers, alpha error, RGBA PSNR, association."""
    out: Dict[str, object] = {}
    if gt.effect_masks is not None or gt.layers is not None:
        masks, mask_source, bg, bg_source = _effect_reference(gt, layers)
        _check_gt_shape("effect masks", masks.shape, layers)
        out["effect_iou"] = metrics.effect_iou_objects(layers.rgba, bg, masks)
        out["effect_iou"].update(mask_source=mask_source, background_source=bg_source)
        if layers.rgba.shape[2:4] != metrics.REFERENCE_SIZE:
            out["effect_iou_at_128"] = metrics.effect_iou_objects(
                layers.rgba, bg, masks, size=metrics.REFERENCE_SIZE)["mean"]
    if gt.layers is not None:
        _check_gt_shape("layers", gt.layers.shape, layers)
        pred, true = layers.rgba, gt.layers
        out["alpha_error"] = {"per_object": [metrics.alpha_error(p[..., 3], t[..., 3])
                                             for p, t in zip(pred, true)],
                              "mean": metrics.alpha_error(pred[..., 3], true[..., 3])}
        out["rgba_psnr"] = {"per_object": [metrics.rgba_psnr(p, t) for p, t in zip(pred, true)],
                            "all": metrics.rgba_psnr(pred, true)}
        out["association_accuracy"] = metrics.association_accuracy(
            pred[..., 3], true[..., 3], video.masks)
    return out


def _fit_background(background: np.ndarray, n: int, size: tuple) -> np.ndarray:
    """(H', W', 3) image or (M, H', W', 3) video -> (n, H, W, 3) uint8: resized, looped/cut to n frames."""
    bg = (background[None] if background.ndim == 3 else background)[..., :3]
    bg = bg[np.arange(n) % bg.shape[0]]
    if bg.shape[1:3] != tuple(size):
        logger.info("composition: resizing background %s to %s", bg.shape[1:3], tuple(size))
        bg = resize(bg, (n, *size, 3), order=1, preserve_range=True, anti_aliasing=True)
        bg = np.clip(np.round(bg), 0, 255).astype(np.uint8)
    return bg


def composition(layers: Layers, backgrounds: List[np.ndarray], out_dir: Optional[str] = None,
                extractor: Optional[str] = None) -> Dict[str, object]:
    """Composite the object layers over each background; save mp4s; FVD(composites, backgrounds)."""
    plates = [_fit_background(b, layers.num_frames, layers.rgba.shape[2:4]) for b in backgrounds]
    composites = [layers.composite(background=p) for p in plates]
    out: Dict[str, object] = {"num_backgrounds": len(plates), "videos": []}
    for j, video in enumerate(composites):
        if out_dir is not None:
            name = f"composition_{j:02d}.mp4"
            write_video(os.path.join(out_dir, name), video, layers.fps)
            out["videos"].append(name)
    out["fvd"], out["fvd_note"] = _fvd(composites, plates, extractor)
    return out


def _fvd(composites: List[np.ndarray], plates: List[np.ndarray], extractor: Optional[str]) -> tuple:
    """(FVD or None, a sentence saying what was computed or why not)."""
    if not composites:
        return None, "FVD not computed: no backgrounds to compose over were given."
    if extractor is None:
        return None, frechet.NO_EXTRACTOR_NOTE
    if len(composites) < 2:
        return None, "FVD not computed: it needs at least 2 backgrounds (a covariance per set)."
    value = frechet.frechet_video_distance(composites, plates, extractor)
    return value, (f"FVD between {len(composites)} composites and their backgrounds, extractor "
                   f"{os.path.basename(extractor)}; few videos make it a rough indication only.")


# ---------------------------------------------------------------------------------------------
# Everything together

def evaluate(layers: Layers, video: Video, gt_dir: Optional[str] = None,
             out_dir: Optional[str] = None, compose_backgrounds: Optional[List[np.ndarray]] = None,
             extractor: Optional[str] = None, progress: bool = True) -> dict:
    """Measure a decomposition of `video`; write metrics.json, metrics.md and figures to out_dir.

    gt_dir:              scene folder with gt/ (see load_ground_truth), or None for real videos.
    compose_backgrounds: new backgrounds, each (H, W, 3) or (M, H, W, 3) uint8 (resized and looped).
    extractor:           TorchScript video feature network for FVD (see omnigame.evaluation.frechet), or None.
    progress:            progress bars for the long parts (SSIM, optical flow).
    Returns the nested metrics dict (floats, lists, strings; nan where undefined).
    """
    if layers.rgba.shape[1:4] != video.frames.shape[:3]:
        raise ValueError(f"layers have (frames, H, W) = {layers.rgba.shape[1:4]} but the video has "
                         f"{video.frames.shape[:3]}")
    result = {"reconstruction": reconstruction_metrics(layers, video, progress),
              "warping_error": warping_metrics(layers, video, progress=progress)}
    if gt_dir is not None:
        result["ground_truth"] = ground_truth_metrics(layers, video, load_ground_truth(gt_dir))
    comp = composition(layers, compose_backgrounds or [], out_dir, extractor)
    result["fvd"], result["fvd_note"] = comp.pop("fvd"), comp.pop("fvd_note")
    result["composition"] = comp
    if out_dir is not None:
        write_report(result, layers, video, out_dir)
    return result


def write_report(result: dict, layers: Layers, video: Video, out_dir: str) -> None:
    """metrics.json, metrics.md, psnr_per_frame.png, contact_sheet.png, error_map.png under out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, "metrics.json"), result)
    text = f"# Evaluation of {video.source}\n\n" + report.markdown_table(result)
    write_text(os.path.join(out_dir, "metrics.md"), text)
    report.plot_psnr_per_frame(result["reconstruction"]["psnr_per_frame"],
                               os.path.join(out_dir, "psnr_per_frame.png"))
    layers_sheet(video.frames, layers.rgba, layers.reconstruction,
                 os.path.join(out_dir, "contact_sheet.png"), layers.object_names)
    report.error_map(video.frames, layers.reconstruction, os.path.join(out_dir, "error_map.png"))
    logger.info("evaluation written to %s", out_dir)
