"""Reading the three input layouts, and the documented errors for bad input."""
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from omnigame.data.background import fill_holes, median_background, video_background
from omnigame.io.files import write_frames, write_png, write_video
from omnigame.io.readers import read_input
from omnigame.io.video import InputError

from conftest import disc_video


def write_omnimatte(root: Path, video, order=True, bg=True) -> Path:
    names = [f"{i:05d}" for i in range(video.num_frames)]
    write_frames(root / "rgb", video.frames, names)
    for o in range(video.num_objects):
        write_frames(root / "mask" / f"{o + 1:02d}", video.masks[o].astype(np.uint8) * 255, names)
    if bg:
        write_png(root / "bg_est.png", video.background)
    if order:
        lines = [" ".join(f"{o + 1:02d}" for o in row[::-1]) for row in video.order]
        (root / "order.txt").write_text("\n".join(lines) + "\n")
    return root


def write_mp4s(root: Path, video) -> Path:
    write_video(root / "input_video.mp4", video.frames, fps=12)
    for o in range(video.num_objects):
        m = np.repeat(video.masks[o, :, :, :, None].astype(np.uint8) * 255, 3, axis=3)
        write_video(root / f"mask_{o:02d}.mp4", m, fps=12)
    return root


def test_omnimatte_layout_round_trip(tmp_path):
    v = disc_video(N=6, H=32, W=48)
    got = read_input(write_omnimatte(tmp_path / "clip", v))
    assert np.array_equal(got.frames, v.frames) and np.array_equal(got.masks, v.masks)
    assert np.array_equal(got.order, v.order[:, ::-1])  # order.txt was written reversed
    assert np.array_equal(got.background, v.background)
    assert got.object_names == ["01", "02"] and got.frame_names[0] == "00000"


def test_mp4_folder_and_explicit_mask_videos(tmp_path):
    v = disc_video(N=8, H=32, W=48)
    root = write_mp4s(tmp_path / "clip", v)
    got = read_input(root)  # folder holding input_video.mp4 + mask_NN.mp4
    assert got.frames.shape == v.frames.shape and got.num_objects == 2
    assert got.fps == pytest.approx(12.0)
    assert (got.masks == v.masks).mean() > 0.97  # lossy video: threshold at one half
    explicit = read_input(root / "input_video.mp4", [root / "mask_01.mp4"])
    assert explicit.num_objects == 1 and explicit.object_names == ["mask_01"]


def test_frames_folder_with_mask_folders(tmp_path):
    v = disc_video(N=5)
    root = write_omnimatte(tmp_path / "clip", v)
    got = read_input(root / "rgb", [root / "mask" / "02"])
    assert got.num_objects == 1 and np.array_equal(got.masks[0], v.masks[1])
    assert got.background is None


@pytest.mark.parametrize("damage, message", [
    (lambda r: (r / "mask/02/00003.png").unlink(), "missing: 00003"),
    (lambda r: iio.imwrite(r / "mask/01/00099.png", np.zeros((32, 48), np.uint8)), "extra: 00099"),
    (lambda r: iio.imwrite(r / "mask/01/00002.png", np.zeros((16, 16), np.uint8)), "size"),
    (lambda r: [iio.imwrite(p, np.zeros((32, 48), np.uint8))
                for p in (r / "mask/02").iterdir()], "empty in every frame"),
    (lambda r: (r / "rgb/00001.png").write_bytes(b"garbage"), "cannot be read"),
    (lambda r: (r / "order.txt").write_text("01 02\n"), "lines but the video has"),
    (lambda r: (r / "order.txt").write_text("01 03\n" * 6), "line 1"),
    (lambda r: iio.imwrite(r / "bg_est.png", np.zeros((8, 8, 3), np.uint8)), "bg_est.png"),
])
def test_bad_omnimatte_input_names_the_file(tmp_path, damage, message):
    root = write_omnimatte(tmp_path / "clip", disc_video(N=6))
    damage(root)
    with pytest.raises(InputError, match=message):
        read_input(root)


def test_missing_and_maskless_inputs(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_input(tmp_path / "nope")
    (tmp_path / "frames").mkdir()
    with pytest.raises(InputError, match="no masks given"):
        read_input(tmp_path / "frames")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="cannot be decoded"):
        read_input(empty, [empty])


def test_mask_video_with_wrong_frame_count(tmp_path):
    v = disc_video(N=8)
    root = write_mp4s(tmp_path / "clip", v)
    short = np.zeros((5, 32, 48, 3), np.uint8)
    short[:, :4, :4] = 255
    write_video(root / "mask_01.mp4", short, fps=12)
    with pytest.raises(InputError, match="5 mask frames but the video has 8"):
        read_input(root)


def test_median_background_ignores_masked_pixels():
    v = disc_video(N=12, objects=1)
    bg, unseen = median_background(v.frames, v.masks)
    seen = ~v.masks[0].all(axis=0)
    assert np.abs(bg[seen].astype(int) - v.background[seen].astype(int)).max() <= 1
    assert unseen == pytest.approx(1 - seen.mean())


def test_median_background_ignores_pixels_outside_the_valid_area():
    v = disc_video(N=12, objects=1)
    valid = np.ones(v.frames.shape[:3], bool)
    valid[:8, :, :10] = False  # a stabilised view: the left edge is empty in 8 of 12 frames
    frames = v.frames.copy()
    frames[~valid] = 0  # what a stabilised frame holds there: no picture
    bg, _ = median_background(frames, v.masks, valid)
    seen = ~(v.masks[0] | ~valid).all(axis=0)
    assert np.abs(bg[seen].astype(int) - v.background[seen].astype(int)).max() <= 1
    blind, _ = median_background(frames, v.masks)  # without `valid` the black would win
    assert np.abs(blind[:, :10].astype(int) - v.background[:, :10].astype(int)).max() > 50
    v.frames, v.valid, v.background = frames, valid, None
    # what decompose and training use: the same estimate, masks grown by the default margin
    assert np.array_equal(video_background(v)[0], median_background(frames, v.masks, valid,
                                                                     margin=2)[0])


def test_median_background_margin_keeps_leaked_mask_edges_out():
    H, W, N = 24, 24, 10
    plate = np.full((H, W, 3), 100, np.uint8)
    frames = np.repeat(plate[None], N, 0).copy()
    masks = np.zeros((1, N, H, W), bool)
    frames[:8, 6:18, 6:18] = 240  # an object standing still for 8 of 10 frames...
    masks[0, :8, 7:17, 7:17] = True  # ...whose mask is drawn one pixel short
    leaky, _ = median_background(frames, masks)
    grown, _ = median_background(frames, masks, margin=2)
    assert leaky[6, 10].max() == 240  # the object's edge became background
    assert np.abs(grown.astype(int) - 100).max() <= 1


def test_fill_holes_takes_nearby_colour():
    import torch
    img = torch.zeros(1, 8, 8)
    img[:, :, :4], img[:, :, 4:] = 1.0, 0.0
    known = torch.ones(1, 8, 8)
    known[:, 2:4, 1:3] = 0  # a hole inside the bright half
    img[:, 2:4, 1:3] = 0.0
    out = fill_holes(img, known)
    assert out[0, 2:4, 1:3].min() > 0.6  # filled from bright neighbours, not the dark half
    assert torch.equal(out[known.bool()], img[known.bool()])
