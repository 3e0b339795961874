"""Synthetic videos with ground-truth layers: objects, their shadows/reflections/dust, camera motion.

    from omnigame.synthetic import SceneConfig, generate_scene, write_scene, generate_dataset
    scene = generate_scene(SceneConfig(height=64, width=112), seed=3)
    video = scene.to_video()            # omnigame.io.video.Video (stable view)
    write_scene(scene, "out/00003")     # Omnimatte layout + gt/

SceneDataset streams scenes as Videos for pretraining (DataLoader(collate_fn=collate_videos));
scene_sheet(scenes, "sheet.png") draws a few scenes and their true layers on one contact sheet.
"""
from .config import SceneConfig, as_scene_config
from .dataset import SceneDataset, collate_videos, generate_dataset, scene_seed
from .scene import Scene, View, generate_scene
from .writer import read_order, scene_sheet, write_scene

__all__ = ["SceneConfig", "as_scene_config", "Scene", "View", "generate_scene", "write_scene",
           "read_order", "generate_dataset", "SceneDataset", "collate_videos", "scene_seed",
           "scene_sheet"]
