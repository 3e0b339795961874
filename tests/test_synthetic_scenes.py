"""Tests of the synthetic scene generator: ground truth must be exact, deterministic and disjoint."""
import json
import pickle
from dataclasses import replace
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from omnigame.io.video import Video
from omnigame.synthetic import (SceneConfig, SceneDataset, as_scene_config, generate_dataset,
                              generate_scene, read_order, scene_seed, scene_sheet, write_scene)
from omnigame.synthetic.camera import Canvas, frame_matrices, make_canvas, sample_states, stabilising_maps
from omnigame.synthetic.textures import PHOTOS
from omnigame.synthetic.warp import affine_coords, inside, sample

SMALL = SceneConfig(height=32, width=56, num_frames=8)
CAMERA = replace(SMALL, camera_motion=True)


def recomposite(layers, order, background):
    """Independent re-implementation: uint8 layers (L, N, H, W, 4) over background (N, H, W, 3)."""
    out = background.astype(np.float64)
    for t in range(order.shape[0]):
        for obj in order[t]:
            a = layers[obj, t, ..., 3:] / 255.0
            out[t] = layers[obj, t, ..., :3] * a + out[t] * (1 - a)
    return out


def test_same_seed_same_scene_and_different_seed_differs():
    a, b, c = generate_scene(CAMERA, 7), generate_scene(CAMERA, 7), generate_scene(CAMERA, 8)
    for name in ("frames", "masks", "layers"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.order, b.order)
    assert a.params == b.params
    assert not np.array_equal(a.frames, c.frames)


@pytest.mark.parametrize("config", [SMALL, CAMERA, replace(SMALL, effects=["trail"])])
def test_true_layers_recomposite_to_frames(config):
    for seed in range(4):
        scene = generate_scene(config, seed)
        for view in (scene.camera, scene.stable):
            rebuilt = recomposite(view.layers, scene.order, view.background)
            assert np.abs(rebuilt - view.frames).max() <= 1.0
        assert scene.layers.shape == (scene.num_objects, 8, 32, 56, 4)
        assert np.array_equal(np.sort(scene.order, axis=1), np.tile(np.arange(scene.num_objects), (8, 1)))


@pytest.mark.parametrize("kind,effect", [("ground", "shadow"), ("water", "reflection"),
                                         ("ground", "trail")])
def test_effects_live_in_their_layer_mostly_outside_the_mask(kind, effect):
    cfg = replace(SMALL, height=48, width=84, background_kinds=[kind], background_weights=[1.0],
                  effects=[effect], no_effect_prob=0.0, max_objects=2)
    outside, total = 0.0, 0.0
    for seed in range(3):
        scene = generate_scene(cfg, seed)
        assert all(list(o["effects"]) == [effect] for o in scene.params["objects"])
        extra = scene.camera.effect_alpha().astype(np.float64)
        outside += (extra * ~scene.masks).sum()
        total += extra.sum()
        assert scene.masks.sum() > 0
    assert total > 0.5 * 255 * 8 * 3  # the effects carry real mass, not a few stray pixels
    assert outside / total > 0.6


def test_shadow_darkens_the_ground_in_the_rendered_frame():
    cfg = replace(SMALL, height=48, width=84, background_kinds=["ground"], background_weights=[1.0],
                  effects=["shadow"], no_effect_prob=0.0, shadow_opacity=[0.6, 0.7])
    scene = generate_scene(cfg, 3)
    view = scene.camera
    shadow_only = (view.effect_alpha() > 100).any(0) & ~view.masks.any(0)
    assert shadow_only.sum() > 10
    frame, bg = view.frames.astype(float), view.background.astype(float)
    assert (frame[shadow_only] < bg[shadow_only] - 1).all(axis=-1).mean() > 0.8


def test_camera_parameters_stay_in_their_ranges():
    cfg = replace(SMALL, camera_motion=True)
    for seed in range(200):
        rng = np.random.default_rng(seed)
        canvas = make_canvas(rng, cfg)
        states = sample_states(rng, cfg)
        tx = states["tx"] / cfg.width
        assert tx[0] * tx[1] < 0 and np.all((np.abs(tx) >= 0.15) & (np.abs(tx) <= 0.3))
        assert np.all(np.abs(states["rotate_deg"]) <= 5) and np.all(np.abs(states["shear_deg"]) <= 3)
        assert np.all((states["scale"] >= 0.95) & (states["scale"] <= 1.05))
        assert 0.3 * cfg.width <= canvas.view_x and canvas.width - canvas.view_x - cfg.width >= 0.3 * cfg.width
        mats = frame_matrices(states, canvas, (cfg.height, cfg.width), cfg.num_frames)
        coords = affine_coords(mats, (cfg.height, cfg.width))
        assert inside(coords, (canvas.height, canvas.width)).all()  # camera never sees past the canvas
        np.testing.assert_allclose(mats[0, 0, 2] - mats[-1, 0, 2], tx[0] * cfg.width - tx[1] * cfg.width,
                                   atol=2.0 + 0.1 * cfg.width)


def test_recorded_transforms_stabilise_the_camera_frames():
    scene = generate_scene(replace(CAMERA, height=48, width=84), 5)
    maps = stabilising_maps(scene.transforms, _canvas(scene))
    coords = affine_coords(maps, (48, 84))
    warped = sample(scene.frames.transpose(0, 3, 1, 2).astype(np.float32), coords).transpose(0, 2, 3, 1)
    interior = inside(coords, (48, 84), margin=1.0)
    np.testing.assert_array_equal(interior, inside(coords, (48, 84)) & interior)
    assert interior.mean() > 0.5 and scene.valid.mean() > interior.mean() - 0.05
    err = np.abs(warped - scene.stable.frames)[interior]
    assert err.mean() < 6.0  # bilinear resampling twice, nothing more


def _canvas(scene):
    c = scene.params["canvas"]
    return Canvas(c["height"], c["width"], c["view_x"], c["view_y"])


def test_train_and_test_splits_share_no_backgrounds_or_textures():
    assert not set(PHOTOS["train"]) & set(PHOTOS["test"])
    used = {}
    for split in ("train", "test"):
        ids = set()
        for seed in range(25):
            p = generate_scene(replace(SMALL, split=split, max_objects=2), seed).params
            ids |= set(p["background_ids"]) | set(p["texture_ids"])
        used[split] = ids
    assert not used["train"] & used["test"]
    assert all(int(i.split(":")[1]) % 2 == 1 for i in used["test"] if i.startswith("noise"))


def test_written_scene_round_trips(tmp_path):
    scene = generate_scene(CAMERA, 2)
    folder = write_scene(scene, tmp_path / "00002")
    n, objects = 8, [f"{i + 1:02d}" for i in range(scene.num_objects)]
    assert len(list((folder / "rgb").glob("*.png"))) == n
    assert sorted(p.name for p in (folder / "mask").iterdir()) == objects
    for obj in objects:
        for sub in ("mask", "gt/layers", "gt/effect_mask"):
            assert len(list((folder / sub / obj).glob("*.png"))) == n
    assert [[objects.index(o) for o in row] for row in read_order(folder)] == scene.order.tolist()
    video = scene.to_video()
    np.testing.assert_array_equal(iio.imread(folder / "rgb" / "00003.png"), video.frames[3])
    np.testing.assert_array_equal(iio.imread(folder / "gt/layers/01/00005.png"), scene.stable.layers[0, 5])
    assert set(np.unique(iio.imread(folder / "mask/01/00000.png"))) <= {0, 255}
    assert iio.imread(folder / "gt/bg.png").shape == (32, 56, 3)
    assert len(list((folder / "valid_mask").glob("*.png"))) == n
    camera = json.loads((folder / "gt/camera.json").read_text())
    np.testing.assert_allclose(camera["transforms"], scene.transforms, atol=1e-4)
    assert json.loads((folder / "manifest.json").read_text())["seed"] == 2
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary folder was renamed away


def test_generate_dataset_writes_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "ds"
    generate_dataset(SMALL, out, count=3, seed=4, workers=2, sheet_scenes=2)
    assert sorted(p.name for p in out.iterdir()) == ["00000", "00001", "00002", "contact_sheet.png",
                                                     "manifest.json"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["seed"] for s in manifest["scenes"]] == [scene_seed(4, i) for i in range(3)]
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        generate_dataset(SMALL, out, count=1, seed=4, workers=1)
    generate_dataset(SMALL, out, count=1, seed=5, workers=1, overwrite=True, sheet_scenes=0)
    assert sorted(p.name for p in out.iterdir()) == ["00000", "manifest.json"]


def test_scene_dataset_streams_padded_videos_and_pickles():
    ds = SceneDataset(replace(SMALL, pad_objects_to=4, max_objects=3), seed=2, length=5)
    ds = pickle.loads(pickle.dumps(ds))
    video = ds[1]
    assert isinstance(video, Video) and video.masks.shape[0] == 4
    scene = generate_scene(ds.config, scene_seed(2, 1))
    assert video.object_valid.sum() == scene.num_objects
    np.testing.assert_array_equal(video.frames, scene.frames)
    assert sorted(video.order[0].tolist()) == [0, 1, 2, 3]
    with pytest.raises(IndexError):
        ds[5]


def test_background_estimate_matches_plate_where_uncovered():
    scene = generate_scene(replace(SMALL, background_mode="estimate", max_objects=2), 1)
    video = scene.to_video()
    close = np.abs(video.background.astype(int) - scene.plate).max(-1) <= 3
    assert close.mean() > 0.8


def test_visible_masks_are_amodal_masks_minus_occluders():
    a = generate_scene(replace(SMALL, min_objects=3), 0)
    b = generate_scene(replace(SMALL, min_objects=3, visible_masks=True), 0)
    assert (b.masks <= a.masks).all() and (b.masks.sum(0) <= 1).all()


def test_config_rejects_typos_and_the_yaml_composes(tmp_path):
    with pytest.raises(ValueError):
        as_scene_config({"heigt": 64})
    from hydra import compose, initialize_config_dir
    from omnigame.conf import CONF_DIR
    from omnigame.synthetic.cli import run
    with initialize_config_dir(CONF_DIR, version_base="1.3"):
        with pytest.raises(Exception):
            compose("generate", overrides=["out_dir=x", "scene.heigt=3"])
        cfg = compose("generate", overrides=[f"out_dir={tmp_path / 'cli'}", "count=1", "workers=1",
                                             "scenes=v2", "scene.height=32", "scene.width=56",
                                             "scene.num_frames=8", "sheet_scenes=1"])
    assert list(cfg.scene.shadow_compress) == [0.35, 0.9]
    out = run(cfg)
    assert (Path(out) / "00000" / "order.txt").exists()


def test_scene_sheet_shows_every_scene_row_by_row(tmp_path):
    scenes = [generate_scene(SMALL, s) for s in range(2)]
    sheet = scene_sheet(scenes, tmp_path / "sheet.png", columns=3)
    np.testing.assert_array_equal(iio.imread(tmp_path / "sheet.png"), sheet)
    # rows: frames, masks, then a layer and an effect row per object; 3 frames + the plate
    rows, gap = sum(2 + 2 * s.num_objects for s in scenes), 2
    top, left = sheet.shape[0] - (rows * (32 + gap) - gap), sheet.shape[1] - (4 * (56 + gap) - gap)
    assert top > 0 and left > 0  # the title band and the label column
    np.testing.assert_array_equal(sheet[top:top + 32, left:left + 56], scenes[0].stable.frames[0])
    second = top + (2 + 2 * scenes[0].num_objects) * (32 + gap)  # the second scene's first row
    np.testing.assert_array_equal(sheet[second:second + 32, left:left + 56], scenes[1].stable.frames[0])
    assert (sheet[top:, :left] < 128).any()  # the row labels are written


def test_objects_swap_depth_and_move_smoothly():
    swaps = 0
    for seed in range(6):
        scene = generate_scene(replace(SMALL, num_frames=24, min_objects=3, max_objects=3), seed)
        swaps += bool((scene.order != scene.order[:1]).any())
        area = scene.masks.sum(axis=(2, 3)).astype(float)  # (L, N) pixels per object per frame
        assert (area > 0).mean() > 0.8  # objects stay in view
        centre = np.array([[np.mean(np.nonzero(m)[1]) if m.any() else np.nan for m in scene.masks[0]]])
        assert np.nanmax(np.abs(np.diff(centre))) < 0.2 * 56  # no teleporting between frames
    assert swaps >= 2
