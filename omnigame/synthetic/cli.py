"""`omnigame-generate` / `python -m omnigame.synthetic`: write a synthetic dataset with Hydra.

    omnigame-generate out_dir=/data/synth-train count=300 scene.height=64 scene.width=112
    omnigame-generate out_dir=/data/synth-v2 scenes=v2 scene.camera_motion=true
    omnigame-generate out_dir=/data/synth-test count=50 scene.split=test

Every field of SceneConfig is `scene.<field>`; unknown fields are errors (structured config).
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import hydra
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from ..conf import CONF_DIR
from .config import SceneConfig
from .dataset import generate_dataset

log = logging.getLogger(__name__)


@dataclass
class GenerateConfig:
    """Command-line parameters: the scene family and where/how many scenes to write."""

    scene: SceneConfig = field(default_factory=SceneConfig)
    out_dir: str = MISSING
    count: int = 100
    seed: int = 0
    workers: Optional[int] = None  # processes; None = all cores
    overwrite: bool = False
    sheet_scenes: int = 4  # scenes shown in out_dir/contact_sheet.png


ConfigStore.instance().store(name="generate_schema", node=GenerateConfig)


def run(cfg) -> Path:
    """Generate the dataset a composed GenerateConfig describes; returns the output folder."""
    scene = OmegaConf.to_object(cfg.scene)
    out = generate_dataset(scene, cfg.out_dir, cfg.count, seed=cfg.seed, workers=cfg.workers,
                           overwrite=cfg.overwrite, sheet_scenes=cfg.sheet_scenes)
    log.info("wrote %d scenes to %s", cfg.count, out)
    return out


@hydra.main(config_path=CONF_DIR, config_name="generate", version_base="1.3")
def main(cfg) -> None:
    """Hydra entry point (console script omnigame-generate)."""
    try:
        run(cfg)
    except FileExistsError as err:  # a plain message, not a traceback, for the common mistake
        log.error("%s", err)
        sys.exit(1)


if __name__ == "__main__":
    main()
