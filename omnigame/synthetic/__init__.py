"""Synthetic videos with ground-truth layers: objects, their shadows/reflections/dust, camera motion.

    from omnigame.synthetic import SceneConfig, generate_scene, write_scene, generate_dataset
    scene = generate_scene(SceneConfig(height=64, width=112), seed=3)
    video = scene.to_video()            # omnigame.io.video.Video (stable view)
    write_scene(scene, "out/00003")     # Omnimatte layout + gt/

SceneDataset streams scenes as Videos for pretraining (DataLoader(collate_fn=collate_videos));
scene_sheet(scenes, "sheet.png") draws a few scenes and their true layers on one contact sheet.

config (SceneConfig, every parameter), scene (generate_scene, Scene, View), render (one object's
true layer), objects (deforming sprites), motion (paths on the ground), effects (shadows,
reflections, dust), backgrounds and textures (plates and skins), camera and warp (camera motion
and resampling), compositing (premultiplied 'over', 8-bit quantisation), writer (write_scene,
scene_sheet), dataset (generate_dataset, SceneDataset), mix (the pretraining mix of families),
probes (small hand-made scenes), demo (omnigame-decompose's built-in scene), cli
(omnigame-generate). The library never imports this package; it builds on the library.
"""
from .config import SceneConfig, as_scene_config
from .dataset import SceneDataset, collate_videos, generate_dataset, scene_seed
from .scene import Scene, View, generate_scene
from .writer import read_order, scene_sheet, write_scene

__all__ = ["SceneConfig", "as_scene_config", "Scene", "View", "generate_scene", "write_scene",
           "read_order", "generate_dataset", "SceneDataset", "collate_videos", "scene_seed",
           "scene_sheet"]
