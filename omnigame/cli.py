"""Hydra entry points (installed as console scripts). The only modules that touch Hydra.

    omnigame-decompose [video=...] [masks=[...]] [out_dir=...] [preset=cpu|paper|reference|tiny]
    omnigame-pretrain [pretrain_preset=cpu|paper|tiny] [out_dir=...] [data=synthetic|<folder>]
    torchrun --nproc_per_node=2 --no-python omnigame-pretrain ...   (data-parallel)
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from .conf import CONF_DIR
from .config import DecomposeJob, PretrainJob, register_configs
from .user_errors import reported

log = logging.getLogger("omnigame")
register_configs()
# conf/decompose.yaml: Hydra's run folder is the given out_dir, else outputs/decompose/<time>
OmegaConf.register_new_resolver("omnigame_or", lambda value, default: default if value is None
                                else value, replace=True)


@hydra.main(config_path=CONF_DIR, config_name="decompose", version_base="1.3")
@reported("omnigame-decompose")
def decompose_main(cfg: DictConfig) -> None:
    from .api import decompose
    job: DecomposeJob = OmegaConf.to_object(cfg)
    out_dir = Path(job.out_dir or HydraConfig.get().runtime.output_dir)
    video = job.video
    if video is None:
        from .synthetic.demo import default_scene
        video = default_scene(out_dir.parent / (out_dir.name + "_input"))
        log.info("no video given: decomposing the built-in generated scene %s", video)
    job.out_dir = str(out_dir)  # config.yaml says where the result went
    layers = decompose(video, job.masks or None, out_dir, config=job)
    log.info("wrote %s", out_dir)
    print(json.dumps(layers.metrics, indent=2))


@hydra.main(config_path=CONF_DIR, config_name="pretrain", version_base="1.3")
@reported("omnigame-pretrain")
def pretrain_main(cfg: DictConfig) -> None:
    from .api import pretrain
    from .io.readers import read_input
    from .training.distributed import init_from_env
    job: PretrainJob = OmegaConf.to_object(cfg)
    init_from_env(job.device)  # under torchrun: join the other processes
    if job.data == "synthetic":
        from dataclasses import asdict
        from .synthetic import SceneDataset
        from .synthetic.mix import user_like_families
        configs, weights = user_like_families(job.scene_size, job.max_objects,
                                              **asdict(job.scenes))
        videos = SceneDataset(configs, seed=job.train.seed, weights=weights)
    else:
        folders = sorted(p for p in Path(job.data).iterdir() if (p / "rgb").is_dir())
        if not folders:
            raise FileNotFoundError(f"{job.data}: no scene folders (with rgb/ and mask/) inside")
        videos = _LazyVideos(folders, read_input)
    _, result = pretrain(videos, job.model, job.train, job.out_dir, job.device, job.init)
    log.info("pretrained %d steps in %.0f s; checkpoint %s", result.steps, result.seconds,
             result.checkpoint)


class _LazyVideos:
    """Scene folders read on first use (and kept: a few hundred small scenes fit in memory)."""

    def __init__(self, folders, reader):
        self.folders, self.reader, self.cache = folders, reader, {}

    def __len__(self) -> int:
        return len(self.folders)

    def __getitem__(self, i: int):
        if i not in self.cache:
            self.cache[i] = self.reader(self.folders[i])
        return self.cache[i]
