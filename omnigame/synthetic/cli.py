"""`omnigame-generate` / `python -m omnigame.synthetic`: write a synthetic dataset with Hydra.

    omnigame-generate out_dir=/data/synth-train count=300 scene.height=64 scene.width=112
    omnigame-generate out_dir=/data/synth-v2 scenes=v2 scene.camera_motion=true
    omnigame-generate out_dir=/data/synth-test count=50 scene.split=test

Every field of SceneConfig is `scene.<field>`; unknown fields are errors (structured config).
"""
from __future__ import annotations

import importlib.util
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import hydra
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

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


def _find_conf_dir() -> Optional[Path]:
    """The folder holding generate.yaml: <repo>/conf in a checkout, omnigame/conf when installed."""
    candidates = [Path(__file__).resolve().parent.parent / "conf"]
    spec = importlib.util.find_spec("omnigame")
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent / "conf")
    return next((c for c in candidates if (c / "generate.yaml").is_file()), None)


# Without the YAML (a stripped install) the command still runs from the structured config alone.
_CONF_DIR = _find_conf_dir()
_CONFIG_PATH = str(_CONF_DIR) if _CONF_DIR else None
_CONFIG_NAME = "generate" if _CONF_DIR else "generate_schema"


def run(cfg) -> Path:
    """Generate the dataset a composed GenerateConfig describes; returns the output folder."""
    scene = OmegaConf.to_object(cfg.scene)
    out = generate_dataset(scene, cfg.out_dir, cfg.count, seed=cfg.seed, workers=cfg.workers,
                           overwrite=cfg.overwrite, sheet_scenes=cfg.sheet_scenes)
    log.info("wrote %d scenes to %s", cfg.count, out)
    return out


@hydra.main(config_path=_CONFIG_PATH, config_name=_CONFIG_NAME, version_base="1.3")
def main(cfg) -> None:
    """Hydra entry point (console script omnigame-generate)."""
    try:
        run(cfg)
    except FileExistsError as err:  # a plain message, not a traceback, for the common mistake
        log.error("%s", err)
        sys.exit(1)


if __name__ == "__main__":
    main()
