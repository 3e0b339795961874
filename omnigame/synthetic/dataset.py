"""Scenes in bulk: a streaming torch Dataset and a parallel on-disk dataset writer.

Scene i of a dataset with seed s is `generate_scene(config, scene_seed(s, i))`, both for the
streaming SceneDataset and for generate_dataset, so a written folder 00042 and item 42 of the
stream are the same scene.
"""
from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch
from tqdm import tqdm

from .config import SceneConfig, as_scene_config
from ..io.files import any_entry, check_overwrite, write_text
from .scene import generate_scene
from .writer import scene_sheet, write_scene

log = logging.getLogger(__name__)


def scene_seed(seed: int, index: int) -> int:
    """Seed of scene `index` in the dataset numbered `seed` (distinct for index < 1_000_003)."""
    return int(seed) * 1_000_003 + int(index)


def collate_videos(batch: List) -> List:
    """DataLoader collate_fn keeping the Video objects as a list (the caller cuts clips)."""
    return list(batch)


class SceneDataset(torch.utils.data.Dataset):
    """Scenes generated on the fly: item i is scene_seed(seed, i) as an omnigame Video.

    config: one SceneConfig, or a list of them (a mix of scene families, e.g. level and moving
    cameras); item i then draws its family from `weights` (default equal) with its own seed.
    Use with DataLoader(..., collate_fn=collate_videos, num_workers=k); picklable for workers.
    """

    def __init__(self, config=None, seed: int = 0, length: int = 10**9,
                 weights: Optional[List[float]] = None):
        configs = config if isinstance(config, (list, tuple)) else [config]
        self.configs = [as_scene_config(c if c is not None else SceneConfig()) for c in configs]
        w = np.asarray(weights if weights is not None else [1.0] * len(self.configs), float)
        if len(w) != len(self.configs) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights {list(w)} do not fit {len(self.configs)} scene families")
        self.weights = w / w.sum()
        self.seed = int(seed)
        self.length = int(length)

    @property
    def config(self) -> SceneConfig:
        return self.configs[0]

    def __len__(self) -> int:
        return self.length

    def family(self, index: int) -> int:
        """Which of `configs` scene `index` comes from (deterministic)."""
        if len(self.configs) == 1:
            return 0
        rng = np.random.default_rng([self.seed, int(index), 7])
        return int(rng.choice(len(self.configs), p=self.weights))

    def __getitem__(self, index: int):
        if not 0 <= index < self.length:
            raise IndexError(f"scene {index} out of range 0..{self.length - 1}")
        cfg = self.configs[self.family(index)]
        return generate_scene(cfg, scene_seed(self.seed, index)).to_video()


def _init_worker() -> None:
    # processes already use every core; torch threads inside them would only fight for them
    torch.set_num_threads(1)


def _make_one(job) -> dict:
    config, out_dir, seed, index = job
    scene = generate_scene(config, scene_seed(seed, index))
    write_scene(scene, Path(out_dir) / f"{index:05d}")
    return {"folder": f"{index:05d}", **scene.params}


def generate_dataset(config, out_dir, count: int, seed: int = 0, workers: Optional[int] = None,
                     overwrite: bool = False, sheet_scenes: int = 4) -> Path:
    """Write `count` scenes to out_dir/00000 ... with manifest.json and contact_sheet.png.

    workers: processes (default: all cores). Raises FileExistsError for a non-empty out_dir
    unless overwrite=True."""
    cfg = as_scene_config(config)
    out = Path(out_dir).resolve()
    check_overwrite(out, overwrite, occupies=any_entry)
    if overwrite and out.exists():
        log.warning("overwriting %s", out)
        shutil.rmtree(out)  # a smaller count must not leave earlier scenes beside the new ones
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    jobs = [(cfg, str(out), seed, i) for i in range(count)]
    log.info("generating %d %s scenes into %s with %d workers", count, cfg.split, out, workers)
    if workers == 1:
        _init_worker()
        records = [_make_one(j) for j in tqdm(jobs, desc="scenes", unit="scene")]
    else:
        with mp.get_context().Pool(workers, initializer=_init_worker) as pool:
            results = pool.imap(_make_one, jobs, chunksize=max(1, min(8, count // (4 * workers))))
            records = list(tqdm(results, total=count, desc="scenes", unit="scene"))
    manifest = {"config": asdict(cfg), "seed": seed, "count": count, "scenes": records}
    write_text(out / "manifest.json", json.dumps(manifest, indent=1))
    if sheet_scenes > 0 and count > 0:
        sheet = [generate_scene(cfg, scene_seed(seed, i)) for i in range(min(sheet_scenes, count))]
        scene_sheet(sheet, out / "contact_sheet.png")
    return out
