"""The public verbs: decompose a video, test-time train a model, pretrain one.

    layers = omnigame.decompose("my_clip/", out_dir="my_clip_layers")  # pretrained + 300 TTT steps

`decompose` reads the video and masks, estimates the background, test-time trains the model
on this one video and decodes layers for every frame at the input resolution.
"""
from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

from omegaconf import OmegaConf

from .camera.workspace import workspace
from .data.background import video_background
from .training.checkpoint import load_checkpoint, model_from_checkpoint
from .data.clips import ClipDataset
from .data.moving import with_sparsity_map
from .config import DecomposeConfig, ModelConfig, TrainConfig, pretrain_defaults
from .data.prepare import PreparedVideo, check_long_enough, model_size, prepare
from .inference import infer_layers
from .io.layers import Layers
from .evaluation.metrics import psnr
from .model.network import OmnigameModel
from .io.result_writer import build_layers, check_out_dir, write_result
from .io.readers import read_input
from .training.distributed import world_size
from .training.loop import CHECKPOINT, TrainResult, seed_everything, train
from .io.video import Video

log = logging.getLogger(__name__)

# Keyword shortcuts of decompose(); any other field is reachable as a dotted key,
# e.g. decompose(v, **{"train.clip.gap": 2}).
SHORTCUTS = {"steps": "train.steps", "batch_size": "train.batch_size", "lr": "train.lr",
             "seed": "train.seed", "size": "input.size", "keep_aspect": "input.keep_aspect",
             "progress": "train.progress"}


def make_config(config: Optional[DecomposeConfig] = None, **options: Any) -> DecomposeConfig:
    """Apply keyword options to a DecomposeConfig; unknown or mistyped options fail at once."""
    conf = OmegaConf.structured(config or DecomposeConfig())
    for key, value in options.items():
        path = SHORTCUTS.get(key, key)
        if OmegaConf.select(conf, path, default="<missing>") == "<missing>":
            raise TypeError(f"unknown option '{key}'; use one of {sorted(SHORTCUTS)} or a field "
                            f"of DecomposeConfig such as 'init', 'detail_transfer', "
                            f"'train.clip.gap'")
        OmegaConf.update(conf, path, list(value) if isinstance(value, tuple) else value,
                         merge=False)
    return OmegaConf.to_object(conf)


def decompose(video: Union[str, Path, Video], masks: Optional[Sequence] = None,
              out_dir: Optional[Union[str, Path]] = None, *,
              config: Optional[DecomposeConfig] = None, **options: Any) -> Layers:
    """Split a video into one RGBA layer per object (with its effects) and a background.

    video: an Omnimatte folder (rgb/, mask/NN/), a folder holding input_video.mp4 and
        mask_NN.mp4, a frames folder or a video file, or a `Video`.
    masks: one mask video or mask folder per object, when `video` does not hold them.
    out_dir: where to write the result (see omnigame.io.result_writer); None writes nothing.
    options: shortcuts (steps, batch_size, lr, seed, size, keep_aspect, progress), fields of
        DecomposeConfig (init, fit_alpha, grow_shadow, hand_over, drop_motion, steady,
        steady_owner, track_owner, edge_matte, denoise_alpha, drop_specks, detail_transfer, preview,
        overwrite, device, batch_frames) or dotted keys; or pass a whole `config`.
    """
    cfg = make_config(config, **options)
    out = Path(out_dir) if out_dir is not None else None
    check_out_dir(out, cfg.overwrite)
    vid = video if isinstance(video, Video) else read_input(video, masks, cfg.input.mask_threshold)
    check_long_enough(vid.num_frames, cfg.train.clip, vid.source)
    space = workspace(vid, cfg.input.camera, cfg.train.progress)  # the frames, or a canvas
    background, unseen = video_background(space.video, cfg.input.max_background_frames,
                                          cfg.input.background_margin,
                                          cfg.input.shadow_free_background)
    frame_size = model_size(vid.size, cfg.input.size, cfg.input.keep_aspect)
    size = space.model_size(frame_size)  # a moving camera's canvas is larger than a frame
    prepared = prepare(space.video, background, size)
    # a step on the canvas costs what it would on the frames: fewer clips on a larger canvas
    area_scale = size[0] * size[1] / (frame_size[0] * frame_size[1])
    seed_everything(cfg.train.seed)  # the initial weights too: one seed, the same layers
    model = initial_model(cfg.init, cfg.model, size).to(cfg.device)
    metrics = {"frames": vid.num_frames, "objects": vid.num_objects, "fps": vid.fps,
               "object_names": list(vid.object_names), **space.metrics(),
               "model_size": list(size), "background_unseen_fraction": unseen}
    with _run_dir(out) as run_dir:
        # overwrite: a checkpoint of another run is replaced; one of this run (an interrupted
        # overwrite) is resumed
        result = test_time_train(model, prepared, cfg.train, run_dir, cfg.device,
                                 on_mismatch="restart" if cfg.overwrite else "error",
                                 area_scale=area_scale)
    start = time.perf_counter()
    rgba = infer_layers(model, prepared, cfg.train.clip, cfg.batch_frames, cfg.device,
                        cfg.train.progress)
    metrics.update(ttt_steps=result.steps, ttt_seconds=round(result.seconds, 2),
                   ttt_batch_size=object_batch(cfg.train, vid.num_objects,
                                               area_scale).batch_size,
                   inference_seconds=round(time.perf_counter() - start, 2))
    layers = build_layers(rgba, vid, space.frame_background(background), cfg.detail_transfer,
                          cfg.sharpen, to_frames=space.to_frames(),
                          seen_masks=None if space.canvas is None else prepared.masks,
                          fit_alpha=cfg.fit_alpha, grow_shadow=cfg.grow_shadow,
                          hand_over=cfg.hand_over, drop_motion=cfg.drop_motion,
                          steady=cfg.steady, steady_owner=cfg.steady_owner,
                          track_owner=cfg.track_owner,
                          edge_matte=cfg.edge_matte, denoise_alpha=cfg.denoise_alpha,
                          drop_specks=cfg.drop_specks)
    if space.camera is not None:
        layers.homographies, layers.stabilised_background = space.camera.homographies, background
    metrics["reconstruction_psnr"] = psnr(layers.reconstruction, vid.frames)
    layers.metrics = metrics
    log.info("reconstruction PSNR %.2f dB", metrics["reconstruction_psnr"])
    if out is not None:
        write_result(layers, vid, out, _config_yaml(cfg, model), cfg.preview)
        if not cfg.keep_checkpoint:  # 84 MB of weights and optimizer state nobody asked for
            (out / "train" / CHECKPOINT).unlink(missing_ok=True)
    return layers


def _config_yaml(cfg: DecomposeConfig, model: OmnigameModel) -> str:
    """The configuration that ran: `model` as built (its size, or the init checkpoint's)."""
    return OmegaConf.to_yaml(OmegaConf.structured(replace(cfg, model=model.config)))


class _run_dir:
    """out_dir/train (kept, so an interrupted run resumes) or a temporary folder."""

    def __init__(self, out: Optional[Path]):
        self.out, self.tmp = out, None

    def __enter__(self) -> Path:
        if self.out is not None:
            return self.out / "train"
        self.tmp = tempfile.TemporaryDirectory(prefix="omnigame-")
        return Path(self.tmp.name)

    def __exit__(self, *exc):
        if self.tmp is not None:
            self.tmp.cleanup()


def initial_model(init: str, model_cfg: ModelConfig, size) -> OmnigameModel:
    """'scratch' (random weights), 'pretrained' (the shipped model) or a checkpoint path."""
    if init == "scratch":
        return OmnigameModel(replace(model_cfg, image_size=list(size)))
    if init == "pretrained":
        from .pretrained import load_pretrained
        model = load_pretrained(image_size=size)
    else:
        path = Path(init)
        if not path.exists():
            raise FileNotFoundError(f"init='{init}': no such checkpoint; use 'scratch', "
                                    f"'pretrained' or the path of a checkpoint.pt")
        model = model_from_checkpoint(load_checkpoint(path), image_size=size)
    if replace(model.config, image_size=list(size)) != replace(model_cfg, image_size=list(size)):
        log.warning("init=%s: the model settings come from that checkpoint; the given `model` "
                    "settings are ignored (use init=scratch to train them from random weights)",
                    init)
    return model


def test_time_train(model: OmnigameModel, video: Union[Video, PreparedVideo],
                    config: TrainConfig = TrainConfig(), run_dir=None,
                    device="cpu", on_mismatch: str = "error",
                    area_scale: float = 1.0) -> TrainResult:
    """Fine-tune `model` in place on one video (resumes from run_dir/checkpoint.pt).

    The batch shrinks with the number of objects and `area_scale`, the model's image area over
    a frame's (a moving camera's canvas is larger): `object_batch`.

    A checkpoint there of another video, initial model or settings raises ResumeMismatch
    (on_mismatch='error') or is replaced (on_mismatch='restart'); see training.loop.train.
    """
    if isinstance(video, Video):
        video = prepare(video, video_background(video)[0], model.config.image_size)
    check_long_enough(video.num_frames, config.clip)
    video = with_sparsity_map(video, config.loss.sparsity_where, config.loss.moving_level)
    objects, asked = video.masks.shape[0], config.batch_size
    config = object_batch(config, objects, area_scale)
    if config.batch_size != asked:
        log.info("%d objects, %.2fx a frame's area: %d clips per step (train.max_object_clips=%d)",
                 objects, area_scale, config.batch_size, config.max_object_clips)
    data = ClipDataset([video], config.clip, video.frames.shape[-2:], config.seed,
                       config.crop_prob)
    if run_dir is None:
        with tempfile.TemporaryDirectory(prefix="omnigame-") as tmp:
            return train(model, data, config, tmp, "ttt", device)
    return train(model, data, config, run_dir, "ttt", device, on_mismatch=on_mismatch)


def object_batch(config: TrainConfig, objects: int, scale: float = 1.0) -> TrainConfig:
    """config with batch_size cut to max_object_clips / (objects x scale) clips (at least 1);
    scale: the model's image area over that of a frame at the model size (a moving camera's
    canvas is larger)."""
    if config.max_object_clips <= 0:
        return config
    batch = max(1, min(config.batch_size, int(config.max_object_clips / (objects * scale))))
    batch = max(world_size(), batch - batch % world_size())  # an equal share per process
    return replace(config, batch_size=batch)


def pretrain(videos: Sequence[Video], model_config: ModelConfig = ModelConfig(),
             config: Optional[TrainConfig] = None, run_dir="runs/pretrain",
             device="cpu", init: str = "scratch") -> Tuple[OmnigameModel, TrainResult]:
    """Train a model over many videos (e.g. a synthetic scene stream).

    init: 'scratch' (random weights), 'pretrained' (continue from the shipped model) or the
    path of a checkpoint. config defaults to the seed's pretraining numbers
    (`pretrain_defaults()`). Resumes from run_dir/checkpoint.pt when it exists.
    """
    config = config or pretrain_defaults()
    seed_everything(config.seed)
    model = initial_model(init, model_config, model_config.image_size)
    data = ClipDataset(videos, config.clip, model_config.image_size, config.seed,
                       config.crop_prob, config.clips_per_video)
    result = train(model, data, config, run_dir, "pretrain", device)
    return model, result
