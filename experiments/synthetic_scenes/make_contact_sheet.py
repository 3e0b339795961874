"""Contact sheet of four hand-picked kinds of scene at 64x112 (the committed contact_sheet.png):
a ground plane with shadows, water with reflections, dust trails, and v2 shadows with camera motion.

    PYTHONPATH=. python experiments/synthetic_scenes/make_contact_sheet.py
"""
from dataclasses import replace
from pathlib import Path

from omnigame.synthetic import SceneConfig, generate_scene, scene_sheet

BASE = SceneConfig(height=64, width=112, max_objects=3, no_effect_prob=0.0)
CASES = [
    (replace(BASE, background_kinds=["ground"], background_weights=[1.0], effects=["shadow"]), 3),
    (replace(BASE, background_kinds=["water"], background_weights=[1.0]), 4),
    (replace(BASE, background_kinds=["ground"], background_weights=[1.0], effects=["trail"]), 5),
    (replace(BASE, background_kinds=["ground", "photo"], background_weights=[1.0, 1.0],
             effects=["shadow"], camera_motion=True, shadow_compress=[0.35, 0.9],
             shadow_shear_deg=[10.0, 50.0], shadow_opacity=[0.4, 0.75], shadow_front_prob=0.4,
             horizon=[0.3, 0.55], background_mode="estimate"), 6),
]

if __name__ == "__main__":
    scenes = [generate_scene(cfg, seed) for cfg, seed in CASES]
    out = Path(__file__).with_name("contact_sheet.png")
    scene_sheet(scenes, out, columns=6)
    print(out, out.stat().st_size // 1024, "KiB")
