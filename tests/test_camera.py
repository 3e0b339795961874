"""Moving cameras: the camera estimated or read, one stabilised canvas, layers back in the frames."""
from dataclasses import replace

import numpy as np
import pytest
import torch

import omnigame
from omnigame.camera.canvas import make_canvas, model_canvas_size, stabilise, to_frames
from omnigame.camera.choice import choose_camera
from omnigame.camera.estimate import CameraPath, estimate_camera
from omnigame.camera.homography import apply, rescale, transfer_error, translation, warp
from omnigame.data.background import median_background
from omnigame.io.homographies import homographies_text, read_homographies
from omnigame.io.result_writer import resample_layers
from omnigame.io.video import InputError, Video
from omnigame.synthetic.config import SceneConfig
from omnigame.synthetic.scene import generate_scene
from conftest import textured_background, tiny_model_config


def pan_path(N=12, H=48, W=80, speed=2.5, degrees=2.0) -> CameraPath:
    """A camera panning right while slowly rolling: world -> frame t homographies."""
    Hs = []
    for t in range(N):
        a = np.radians(degrees * t / N)
        R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
        Hs.append(R @ translation(-speed * t, 0.3 * t))
    return CameraPath(np.stack(Hs), (H, W), np.zeros(N))


def filmed(world: np.ndarray, path: CameraPath) -> np.ndarray:
    """What a camera on `path` sees of a large `world` image (Hw, Ww, C) -> (N, H, W, C)."""
    src = torch.from_numpy(world).permute(2, 0, 1)[None].double()
    shift = translation(20, 20)  # the frames look at the world's middle
    out, _ = warp(src.expand(path.num_frames, -1, -1, -1),
                  torch.from_numpy(shift @ np.linalg.inv(path.homographies)), path.size)
    return out.permute(0, 2, 3, 1).numpy()


def moving_scene(seed=0):
    cfg = SceneConfig(split="test", height=128, width=224, num_frames=24, camera_motion=True)
    return generate_scene(cfg, seed)


def test_known_homographies_are_recovered_from_a_generated_pan():
    scene = moving_scene()
    M = np.zeros((24, 3, 3))
    M[:, :2], M[:, 2, 2] = scene.transforms, 1.0
    truth = np.linalg.inv(M) @ M[0]  # first-frame pixel -> frame t pixel
    path = estimate_camera(scene.camera.frames, scene.camera.masks, progress=False)
    error = transfer_error(path.homographies, truth, (128, 224))
    assert path.motion_px() > 40  # a real pan, not a still camera
    assert np.sqrt((error ** 2).mean()) < 0.5


def test_a_still_camera_is_estimated_still_and_treated_as_static():
    world = textured_background(64, 96)
    frames = np.repeat(world[None], 10, 0)
    masks = np.zeros((1, 10, 64, 96), bool)
    masks[0, :, 20:40, 30:50] = True
    path = estimate_camera(frames, masks, progress=False)
    assert path.motion_px() < 0.05
    assert choose_camera(Video(frames, masks, np.zeros((10, 1), np.int64)), "auto", False) is None


def test_stabilise_then_unwarp_returns_a_layer():
    path = pan_path()
    rng = np.random.default_rng(0)
    world = torch.nn.functional.interpolate(torch.from_numpy(rng.random((1, 4, 30, 40))),
                                            size=(120, 160), mode="bicubic")[0]
    rgba = filmed(world.clamp(0, 1).permute(1, 2, 0).numpy(), path)  # (N, H, W, 4)
    canvas = make_canvas(path)
    assert canvas.width > 80 + 2.5 * 10  # the canvas covers the whole pan
    layer = torch.from_numpy(rgba).permute(0, 3, 1, 2)
    premult = torch.cat([layer[:, :3] * layer[:, 3:], layer[:, 3:]], 1)
    on_canvas, _ = warp(premult, torch.from_numpy(canvas.to_frame), canvas.size)
    colour = on_canvas[:, :3] / on_canvas[:, 3:].clamp_min(1e-4)
    stable = torch.cat([colour, on_canvas[:, 3:]], 1).clamp(0, 1)
    inner = (slice(None), slice(None), slice(3, -3), slice(3, -3))

    def error(c):
        back = resample_layers(stable[None], lambda x, f: to_frames(x, c, f), range(12))[0]
        return float((back - layer)[inner].abs().mean())

    off = replace(canvas, to_frame=translation(1.0, 0.0) @ canvas.to_frame)  # 1 px misplaced
    assert error(canvas) < 0.02  # two bilinear resamplings of a fine texture, nothing more
    assert error(off) > 3 * error(canvas)


def test_valid_mask_pixels_never_enter_the_background():
    H, W, N = 24, 32, 9
    plate = textured_background(H, W)
    frames = np.repeat(plate[None], N, 0).copy()
    valid = np.ones((N, H, W), bool)
    valid[:7, :, :16] = False  # most frames hold no picture on the left half...
    frames[~valid] = [255, 0, 255]  # ...and garbage there
    bg, unseen = median_background(frames, np.zeros((1, N, H, W), bool), valid)
    assert unseen == 0.0
    assert np.abs(bg.astype(int) - plate).max() <= 1


def test_stabilised_video_marks_valid_pixels_and_its_median_is_the_panorama():
    path = pan_path()
    world = textured_background(120, 160).astype(np.float64)
    frames = filmed(world, path).round().astype(np.uint8)
    masks = np.zeros((1, 12) + path.size, bool)
    masks[0, :, 10:30, 30:40] = True
    video = Video(frames, masks, np.zeros((12, 1), np.int64))
    canvas = make_canvas(path)
    on_canvas = stabilise(video, canvas)
    assert on_canvas.frames.shape[1:3] == canvas.size and on_canvas.valid is not None
    assert 0.3 < on_canvas.valid.mean() < 0.95  # no frame covers the whole pan
    assert (on_canvas.frames[~on_canvas.valid] == 0).all()
    bg, unseen = median_background(on_canvas.frames, on_canvas.masks, on_canvas.valid)
    seen = on_canvas.valid.any(0)
    assert unseen < 0.2
    # the panorama agrees with every frame's own picture where that frame is valid
    diff = np.abs(on_canvas.frames.astype(int) - bg[None])[on_canvas.valid & ~on_canvas.masks[0]]
    assert np.median(diff) <= 2 and seen.mean() > 0.8


def test_a_homographies_file_is_read_and_rescaled(tmp_path):
    path = pan_path(N=5)
    (tmp_path / "homographies.txt").write_text(homographies_text(path.homographies, path.size))
    Hs, size = read_homographies(tmp_path / "homographies.txt", 5)
    assert size == (48, 80) and np.allclose(Hs, path.homographies, atol=1e-6)
    # the same camera for the video at twice the size: a point and its image both scale
    big = rescale(Hs, (48, 80), (96, 160))
    p = np.array([[10.0, 7.0], [70.0, 40.0]])
    to_big = lambda q: 2 * (q + 0.5) - 0.5  # pixel centres, scaled about the corner
    assert np.allclose(apply(big[3], to_big(p)), to_big(apply(Hs[3], p)), atol=1e-6)


@pytest.mark.parametrize("text, says", [
    ("1 0 0 0 1 0 0 0 1\n", "first line must be 'size: W H'"),
    ("size: 80\n", "line 1 should hold 2 numbers"),
    ("size: 80 48\n1 0 0 0 1 0 0 0 1\n", "1 homographies but the video has 2 frames"),
    ("size: 80 48\n1 0 0 0 1 0 0 0 1\n1 0 0 0 1 0 0 0\n", "line of frame 2 should hold 9"),
    ("size: 80 48\n1 0 0 0 1 0 0 0 1\n1 0 x 0 1 0 0 0 1\n", "line of frame 2 should hold 9"),
    ("size: 80 48\n1 0 0 0 1 0 0 0 1\n0 0 0 0 0 0 0 0 1\n", "frame 2 is singular"),
])
def test_a_malformed_homographies_file_gives_a_clear_error(tmp_path, text, says):
    bad = tmp_path / "homographies.txt"
    bad.write_text(text)
    with pytest.raises(InputError) as err:
        read_homographies(bad, 2)
    assert str(bad) in str(err.value) and says in str(err.value)


def test_model_canvas_size_keeps_the_detail_of_a_frame():
    path = pan_path(N=12, H=128, W=224, speed=10)
    canvas = make_canvas(path)
    h, w = model_canvas_size((64, 112), (128, 224), canvas)
    assert h % 16 == 0 and w % 16 == 0 and w > 112
    assert abs(w / 112 - canvas.width / 224) < 16 / 112


def decompose_tiny(video, out, **options):
    return omnigame.decompose(video, out_dir=out, init="scratch", steps=2, size=(32, 48),
                              model=tiny_model_config(), progress=False,
                              **{"train.batch_size": 1, "input.camera": "auto", **options})


def test_decompose_a_moving_camera_returns_layers_in_the_original_frames(tmp_path):
    scene = moving_scene(seed=1)
    video = Video(scene.camera.frames[:14], scene.camera.masks[:, :14], scene.order[:14])
    layers = decompose_tiny(video, tmp_path / "out")
    assert layers.rgba.shape[1:4] == (14, 128, 224)  # the input's frames, size and count
    assert layers.background.shape == (14, 128, 224, 3)
    assert layers.metrics["camera"] == "estimated" and layers.homographies.shape == (14, 3, 3)
    assert layers.stabilised_background.shape[1] > 224  # a panorama wider than one frame
    assert (tmp_path / "out" / "homographies.txt").exists()
    assert (tmp_path / "out" / "background_stabilised.png").exists()
    loaded = omnigame.load_result(tmp_path / "out")
    assert np.allclose(loaded.homographies, layers.homographies, atol=1e-5)
    # the background seen in each frame follows the camera: it matches the true plate there
    unmasked = ~video.masks.any(0)
    err = np.abs(layers.background.astype(int) - scene.camera.background[:14])[unmasked]
    assert np.median(err) < 6


def test_a_users_homographies_file_and_the_static_switch(tmp_path):
    scene = moving_scene(seed=1)
    video = Video(scene.camera.frames[:14], scene.camera.masks[:, :14], scene.order[:14])
    path = estimate_camera(video.frames, video.masks, progress=False)
    (tmp_path / "h.txt").write_text(homographies_text(path.homographies, path.size))
    given = decompose_tiny(video, None, **{"input.camera": str(tmp_path / "h.txt")})
    assert given.metrics["camera"] == str(tmp_path / "h.txt")
    assert np.allclose(given.homographies, path.homographies, atol=1e-6)
    still = decompose_tiny(video, None, **{"input.camera": "static"})
    assert still.metrics["camera"] == "static" and still.homographies is None
    with pytest.raises(InputError, match="auto, estimate, static"):
        decompose_tiny(video, None, **{"input.camera": "estmate"})
