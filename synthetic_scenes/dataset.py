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
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

import torch
from tqdm import tqdm

from .config import SceneConfig, as_scene_config
from .contact_sheet import contact_sheet
from .scene import generate_scene
from .writer import prepare_folder, write_scene

log = logging.getLogger(__name__)


def scene_seed(seed: int, index: int) -> int:
    """Seed of scene `index` in the dataset numbered `seed` (distinct for index < 1_000_003)."""
    return int(seed) * 1_000_003 + int(index)


def collate_videos(batch: List) -> List:
    """DataLoader collate_fn keeping the Video objects as a list (the caller cuts clips)."""
    return list(batch)


class SceneDataset(torch.utils.data.Dataset):
    """Scenes generated on the fly: item i is scene_seed(seed, i) as an omnigame Video.

    Use with DataLoader(..., collate_fn=collate_videos, num_workers=k); picklable for workers.
    """

    def __init__(self, config: Optional[SceneConfig] = None, seed: int = 0, length: int = 10**9):
        self.config = as_scene_config(config if config is not None else SceneConfig())
        self.seed = int(seed)
        self.length = int(length)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int):
        if not 0 <= index < self.length:
            raise IndexError(f"scene {index} out of range 0..{self.length - 1}")
        return generate_scene(self.config, scene_seed(self.seed, index)).to_video()


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
    prepare_folder(out, overwrite)
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
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    if sheet_scenes > 0 and count > 0:
        sheet = [generate_scene(cfg, scene_seed(seed, i)) for i in range(min(sheet_scenes, count))]
        contact_sheet(sheet, str(out / "contact_sheet.png"))
    return out
