"""`omnigame-evaluate`: measure a finished decomposition folder (Hydra entry point).

    omnigame-evaluate result=clip_layers
    omnigame-evaluate result=clip_layers video=clip/ gt_dir=clip/ out_dir=clip_eval
    omnigame-evaluate result=clip_layers 'backgrounds=[beach.png,street.mp4]'

The layers are read back from disk (omnigame.io.result_reader), the input video is read again, and
`omnigame.evaluate` writes metrics.json, metrics.md and figures to out_dir (default
<result>/eval). A folder that already holds a metrics.json is never replaced unless
overwrite=true. From Python, call `evaluate_result` (or `omnigame.evaluate` on in-memory layers).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import hydra
import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from ..conf import CONF_DIR
from ..io.files import check_overwrite
from ..user_errors import reported

log = logging.getLogger("omnigame")
AUTO = "auto"


@dataclass
class EvaluateJob:
    """The `omnigame-evaluate` command (schema of conf/evaluate.yaml)."""

    result: str = MISSING  # folder written by omnigame-decompose / omnigame.decompose
    video: Optional[str] = None  # None: the video named in <result>/config.yaml
    masks: List[str] = field(default_factory=list)  # one per object, if `video` lacks them
    gt_dir: Optional[str] = AUTO  # 'auto': <video>/gt when it exists; None: no ground truth
    out_dir: Optional[str] = None  # None: <result>/eval
    backgrounds: List[str] = field(default_factory=list)  # images/videos to composite over
    extractor: Optional[str] = None  # TorchScript video network for FVD
    mask_threshold: float = 0.5
    overwrite: bool = False
    progress: bool = True  # progress bars for SSIM and optical flow, the long parts


ConfigStore.instance().store(name="evaluate_schema", node=EvaluateJob)


def _saved_config(result: Path) -> dict:
    path = result / "config.yaml"
    return OmegaConf.to_container(OmegaConf.load(path)) if path.exists() else {}


def find_video(result: Path, video: Optional[str], masks: List[str]):
    """-> (video source, masks): given, else from the run's config.yaml, else the demo scene."""
    if video is not None:
        return video, masks
    saved = _saved_config(result)
    if saved.get("video"):
        return saved["video"], masks or saved.get("masks") or []
    demo = result.parent / (result.name + "_input")  # where omnigame-decompose puts its demo
    if (demo / "rgb").is_dir():
        return str(demo), masks
    raise ValueError(f"{result}: its config.yaml names no video; pass video=<the input video> "
                     f"(and masks=[...] if the video has no mask folders)")


def find_gt(gt_dir: Optional[str], video: str) -> Optional[str]:
    """'auto' -> <video>/gt if the video is a scene folder with ground truth, else None."""
    if gt_dir != AUTO:
        return gt_dir
    if (Path(video) / "gt").is_dir():
        log.info("ground truth found: %s/gt (pass gt_dir=null to skip it)", video)
        return video
    return None


def read_background(path: str) -> np.ndarray:
    """An image -> (H, W, 3); a video file or frames folder -> (M, H, W, 3); uint8."""
    from ..io.readers import IMAGE_EXT, read_frames, read_image
    p = Path(path)
    if p.is_file() and p.suffix.lower() in IMAGE_EXT:
        return read_image(p)
    return read_frames(p)[0]


def evaluate_result(result, video=None, masks=(), gt_dir: Optional[str] = AUTO, out_dir=None,
                    backgrounds=(), extractor: Optional[str] = None, mask_threshold: float = 0.5,
                    overwrite: bool = False, progress: bool = True) -> dict:
    """Evaluate the decomposition folder `result`; write the report to out_dir (<result>/eval).

    video/masks: the input, in any form `omnigame.read_input` accepts (default: from the
    run's config.yaml). Returns the metrics dict that metrics.json holds.
    """
    from .evaluate import evaluate
    from ..io.result_reader import load_layers
    from ..io.readers import read_input
    result = Path(result)
    if not result.is_dir():
        raise FileNotFoundError(f"result={result}: no such folder; give the out_dir of a "
                                f"finished omnigame-decompose run")
    out = Path(out_dir) if out_dir is not None else result / "eval"
    # only the report's own files are written there: other files in it are left alone
    check_overwrite(out, overwrite, finished="metrics.json")
    source, masks = find_video(result, None if video is None else str(video), list(masks))
    vid = read_input(source, masks or None, mask_threshold)
    layers = load_layers(result, vid.object_names, vid.order, vid.fps)
    plates = [read_background(b) for b in backgrounds]
    metrics = evaluate(layers, vid, find_gt(gt_dir, str(source)), str(out), plates, extractor,
                       progress)
    log.info("evaluation of %s written to %s", result, out)
    return metrics


@hydra.main(config_path=CONF_DIR, config_name="evaluate", version_base="1.3")
@reported("omnigame-evaluate")
def main(cfg: DictConfig) -> None:
    if OmegaConf.is_missing(cfg, "result"):
        raise ValueError("give result=<folder written by omnigame-decompose> (see --help)")
    job: EvaluateJob = OmegaConf.to_object(cfg)
    metrics = evaluate_result(job.result, job.video, job.masks, job.gt_dir, job.out_dir,
                              job.backgrounds, job.extractor, job.mask_threshold, job.overwrite,
                              job.progress)
    summary = {k: metrics["reconstruction"][k] for k in ("psnr", "ssim")}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
