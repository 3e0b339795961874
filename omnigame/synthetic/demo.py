"""The built-in demo scene that `omnigame-decompose` decomposes when given no video."""
from __future__ import annotations

from pathlib import Path

from .config import SceneConfig
from .scene import generate_scene
from .writer import write_scene

# Two objects on a ground plane with long shadows (the "v2" shadow ranges).
DEMO_SCENE = SceneConfig(num_frames=24, min_objects=2, max_objects=2, effects=["shadow"],
                         no_effect_prob=0.0, background_kinds=["ground"],
                         shadow_compress=[0.35, 0.9], shadow_shear_deg=[10.0, 50.0],
                         shadow_opacity=[0.4, 0.75])


def default_scene(folder: Path) -> Path:
    """Write the demo scene (seed 0) to `folder` unless it is already there; returns `folder`."""
    folder = Path(folder)
    if not (folder / "rgb").is_dir():
        write_scene(generate_scene(DEMO_SCENE, seed=0), folder)
    return folder
