"""The dev benchmark's scene builder: layers recomposite to frames, effects sit outside the masks,
and the mask-only floor is a real (0 < IoU < 1) baseline. Uses the real clips, so it is skipped
where /work/shared/data/real is absent."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "dev_benchmark"
sys.path.insert(0, str(BENCH))

realclips = pytest.importorskip("realclips")
if not (realclips.REAL_ROOT / "boys-beach" / "input_video.mp4").exists():
    pytest.skip("real clips not available", allow_module_level=True)

from build import BEACH, make_scene  # noqa: E402
from compose import Backdrop, ObjectSpec, SceneSpec  # noqa: E402
from score import floor_metrics  # noqa: E402
from omnigame.synthetic import write_scene  # noqa: E402
from omnigame.io.layers import composite_layers as composite  # noqa: E402
from omnigame.evaluation.evaluate import load_ground_truth  # noqa: E402
from omnigame.io.readers import read_input  # noqa: E402


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory):
    # one clip only (boys-beach) keeps decoding to a few seconds
    spec = SceneSpec("test_both", Backdrop(**BEACH),
                     [ObjectSpec("boy_a", "shadow"), ObjectSpec("boy_b", "reflection", (0.25, 0.3))])
    scene = make_scene(spec, seed=5, n=6)
    folder = write_scene(scene, tmp_path_factory.mktemp("devb") / "scene")
    return folder, scene.stable.effect_alpha()  # (L, N, H, W): layer alpha beyond the object


def test_layers_recomposite_to_frames(scene_dir):
    scene_dir, _ = scene_dir
    video, gt = read_input(scene_dir), load_ground_truth(str(scene_dir))
    assert video.frames.shape == (6, 128, 224, 3) and gt.layers.shape[:2] == (2, 6)
    recon = composite(gt.layers, video.order, np.repeat(gt.background[None], 6, 0))
    assert np.abs(recon.astype(int) - video.frames.astype(int)).max() <= 2


def test_effects_lie_outside_the_masks(scene_dir):
    scene_dir, effects = scene_dir
    video = read_input(scene_dir)
    for k in range(2):
        effect = effects[k].astype(float)
        outside = (effect * ~video.masks[k]).sum()
        assert outside > 50 * 255, "the effect should be visible"
        assert outside > 0.7 * effect.sum()


def test_floor_is_between_zero_and_one(scene_dir):
    scene_dir, _ = scene_dir
    video, gt = read_input(scene_dir), load_ground_truth(str(scene_dir))
    floor = floor_metrics(video, gt)
    assert all(0.0 < v < 1.0 for v in floor["iou"])
    assert floor["psnr"] < 60  # effects are missing from the floor's reconstruction


def test_true_layers_score_one_and_beat_the_floor(scene_dir):
    # the true object+effect masks are the true layers' visible footprint (binary), so a perfect
    # decomposition scores 1 and taking the effects is rewarded; layer alpha as the mask made
    # the true layers score below the mask-only matte
    from omnigame.evaluation.metrics import effect_iou_objects
    scene_dir, _ = scene_dir
    video, gt = read_input(scene_dir), load_ground_truth(str(scene_dir))
    assert set(np.unique(gt.effect_masks)) == {0, 255}
    truth = effect_iou_objects(gt.layers, gt.background, gt.effect_masks)["per_object"]
    floor = floor_metrics(video, gt)["iou"]
    assert truth == [1.0, 1.0]
    assert all(f < 0.8 for f in floor)


@pytest.fixture(scope="module")
def live_scene_dir(tmp_path_factory):
    from build import LIVE_BEACH
    spec = SceneSpec("test_live", Backdrop(**LIVE_BEACH), [ObjectSpec("boy_a", "long_shadow")])
    scene = make_scene(spec, seed=3, n=6)
    folder = write_scene(scene, tmp_path_factory.mktemp("devlive") / "scene")
    (folder / "gt" / "background").mkdir()
    from omnigame.io.files import write_png
    for t, frame in enumerate(scene.stable.background):
        write_png(folder / "gt" / "background" / f"{t:05d}.png", frame)
    return folder


def test_live_backdrop_moves_and_its_truth_is_per_frame(live_scene_dir):
    # live footage behind the objects: the true background differs from frame to frame, the
    # ground truth holds it per frame, and the true layers over it give the frames back and
    # score 1 (over a single plate they would not)
    from omnigame.evaluation.metrics import effect_iou_objects
    video, gt = read_input(live_scene_dir), load_ground_truth(str(live_scene_dir))
    assert gt.background.shape == (6, 128, 224, 3)
    unmasked = ~video.masks.any(0)
    change = np.abs(gt.background[1:].astype(int) - gt.background[:-1].astype(int)).max(-1)
    assert (change[unmasked[1:]] > 20).mean() > 0.01, "the waves should move"
    recon = composite(gt.layers, video.order, gt.background)
    assert np.abs(recon.astype(int) - video.frames.astype(int)).max() <= 2
    assert effect_iou_objects(gt.layers, gt.background, gt.effect_masks)["per_object"] == [1.0]


def test_live_box_over_the_clips_own_objects_is_refused():
    with pytest.raises(ValueError, match="own objects"):
        realclips.live_frames("boys-beach", (100, 250, 154, 270), (128, 224), False, 0, 6)


def test_rescore_rebuilds_the_layers_score_made_from_the_kept_model_output(scene_dir, tmp_path):
    # score.py keeps the model's output before post-processing; rescore.py must rebuild exactly
    # the layers decompose made from it, and an override must reach build_layers
    import torch
    from rescore import rebuild
    from score import run_metrics
    folder, _ = scene_dir
    video, gt = read_input(folder), load_ground_truth(str(folder))
    video.background = None
    _, layers, raw = run_metrics(video, gt, {"steps": 1, "size": [32, 64], "progress": False,
                                               "train.clip.gap": 1})
    assert raw is not None and raw["rgba_small"].shape[-2:] == (32, 64)
    torch.save(raw, tmp_path / "raw.pt")
    _, _, again = rebuild(tmp_path / "raw.pt", str(folder), {})
    assert np.array_equal(again.rgba, layers.rgba)
    _, _, plain = rebuild(tmp_path / "raw.pt", str(folder), {"edge_matte": False, "sharpen": False})
    assert (plain.rgba[..., 3] != layers.rgba[..., 3]).mean() > 0.01


@pytest.mark.slow  # experiment tooling, a few seconds: kept out of the fast suite's budget
def test_ablate_scores_each_object_from_the_kept_output_and_switches_reach_it(scene_dir,
                                                                             tmp_path):
    import torch
    from ablate import VARIANTS, object_rows
    from association import PARTS
    from score import run_metrics
    folder, _ = scene_dir
    video, gt = read_input(folder), load_ground_truth(str(folder))
    video.background = None
    _, layers, raw = run_metrics(video, gt, {"steps": 1, "size": [32, 64], "progress": False,
                                               "train.clip.gap": 1})
    (tmp_path / "layers").mkdir()
    torch.save(raw, tmp_path / "layers" / "raw__dev__scene.pt")
    rows = {name: list(object_rows(tmp_path, "dev/scene", str(folder), overrides))
            for name, overrides in VARIANTS.items()}
    default = rows["the defaults"]
    assert len(default) == 2 and all(len(r) == 1 + len(PARTS) for r in default)  # both effects
    assert all(0 <= r[0] <= 1 for r in default)
    assert not np.allclose(default, rows["none (the model's own layers)"])


@pytest.mark.slow  # experiment tooling, about 9 s (subprocesses): out of the fast suite
def test_sweep_scores_each_setting_and_tables_them_a_failing_one_aside(scene_dir, tmp_path):
    import json
    import subprocess
    folder, _ = scene_dir
    settings = {"one": ["steps=1", "seed=3"], "bad": ["no_such_option=1"]}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    done = subprocess.run([sys.executable, str(BENCH / "sweep.py"), str(tmp_path / "settings.json"),
                           "--out", str(tmp_path / "runs"), "--shards", "1", "--parallel", "2",
                           "--threads", "1", "--common",
                           f"--scenes={folder.parent} size=[32,64] train.clip.gap=1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "bad 0/1 FAILED" in done.stdout and "unknown option" in done.stdout
    table = (tmp_path / "runs" / "sweep.md").read_text().splitlines()
    rows = {line.split(" | ")[0].strip("| "): line for line in table[2:]}
    assert set(rows) == {"one"}  # the failed setting has no row
    scored = json.loads((tmp_path / "runs" / "one" / "results.json").read_text())
    assert scored["meta"]["options"]["seed"] == 3  # the setting's options reached score.py
    assert f"| {scored['means']['dev']['iou']:.3f} |" in rows["one"]


def test_sweep_scores_each_setting_on_the_live_scenes_too():
    from sweep import with_live
    settings = {"a": ["steps=400", "--synthetic=4"], "b": []}
    assert with_live(settings, None) == settings
    both = with_live(settings, "built/live")
    assert list(both) == ["a", "a_live", "b", "b_live"]
    assert both["a"] == ["steps=400", "--synthetic=4"]
    # the same options on the live scenes; the synthetic scenes are scored once
    assert both["a_live"] == ["steps=400", "--scenes=built/live"]


def test_seed_average_means_alpha_and_keeps_a_lone_layer_colour():
    import torch
    from seed_average import average
    one, two = torch.zeros(1, 2, 4, 3, 3), torch.zeros(1, 2, 4, 3, 3)
    one[:, :, :3], one[:, :, 3] = 0.8, 0.5  # a bright layer at alpha 0.5 in the first run only
    two[:, :, :3] = 0.1  # colour under alpha 0 in the second: must not grey the mean
    mean = average([{"rgba_small": one, "fit_alpha": True}, {"rgba_small": two}])
    assert mean["fit_alpha"] is True  # the first run's switches come along
    assert torch.allclose(mean["rgba_small"][:, :, 3], torch.full((1, 2, 3, 3), 0.25))
    assert torch.allclose(mean["rgba_small"][:, :, :3], torch.full((1, 2, 3, 3, 3), 0.8))
