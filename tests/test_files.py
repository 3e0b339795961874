"""omnigame.io.files and omnigame.io.sheets: the one atomic writer, overwrite guard, frame and
video writer and contact sheet that the library, the generator and the experiments share."""
import json
import os

import imageio.v3 as iio
import numpy as np
import pytest

from omnigame.io.files import (any_entry, atomic_folder, atomic_path, check_overwrite,
                               write_frames, write_json, write_video)
from omnigame.io.sheets import contact_sheet, layers_sheet, outline


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["metrics.json"]
    with atomic_path(target) as tmp:
        with open(tmp, "w") as f:
            f.write("new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["metrics.json"]


def test_atomic_folder_replaces_the_whole_folder_only_when_complete(tmp_path):
    folder = tmp_path / "scene"
    folder.mkdir()
    (folder / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_folder(folder) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("crash while writing")
    assert os.listdir(folder) == ["old.txt"] and os.listdir(tmp_path) == ["scene"]
    with atomic_folder(folder) as tmp:
        (tmp / "new.txt").write_text("new")
    assert os.listdir(folder) == ["new.txt"] and os.listdir(tmp_path) == ["scene"]


def test_overwrite_guard_names_the_folder_and_the_fix(tmp_path):
    check_overwrite(None, False)  # nothing will be written
    check_overwrite(tmp_path / "missing", False)
    (tmp_path / "metrics.json").write_text("{}")
    with pytest.raises(FileExistsError, match="finished result .metrics.json.*pass overwrite=True"):
        check_overwrite(tmp_path, False, finished="metrics.json")
    check_overwrite(tmp_path, True, finished="metrics.json")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    (other / "run.log").write_text("")
    check_overwrite(other, False, finished="metrics.json")  # only the marker counts
    with pytest.raises(FileExistsError, match=f"{other} is not empty .notes.txt.; choose another"):
        check_overwrite(other, False, occupies=lambda name: not name.endswith(".log"))
    with pytest.raises(FileExistsError, match="not empty"):
        check_overwrite(other, False, occupies=any_entry)
    assert sorted(os.listdir(other)) == ["notes.txt", "run.log"]  # the guard deletes nothing


def test_frames_round_trip_and_json_has_no_nan(tmp_path):
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (3, 6, 7, 4), dtype=np.uint8)
    write_frames(tmp_path / "layer", rgba, ["a", "b", "c"])
    assert sorted(os.listdir(tmp_path / "layer")) == ["a.png", "b.png", "c.png"]
    np.testing.assert_array_equal(iio.imread(tmp_path / "layer" / "b.png"), rgba[1])
    grey = rng.integers(0, 256, (2, 6, 7), dtype=np.uint8)
    write_frames(tmp_path / "mask", grey, ["0", "1"], threads=1)
    np.testing.assert_array_equal(iio.imread(tmp_path / "mask" / "1.png"), grey[1])
    write_json(tmp_path / "m.json", {"psnr": np.float32(30.5), "iou": float("nan"), "n": np.int64(3)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"iou": None, "n": 3, "psnr": 30.5}


def test_video_from_a_generator_with_odd_size(tmp_path):
    frames = (np.full((7, 9, 3), v, np.uint8) for v in (40, 120, 200, 250))
    write_video(tmp_path / "v.mp4", frames, fps=12)
    back = iio.imread(tmp_path / "v.mp4", plugin="pyav")
    assert back.shape == (4, 8, 10, 3)  # padded to even for yuv420p
    assert abs(int(back[2].mean()) - 200) < 8 and os.listdir(tmp_path) == ["v.mp4"]


def test_contact_sheet_places_tiles_and_labels(tmp_path):
    a, b = np.zeros((10, 12, 3), np.uint8), np.full((10, 12), 100, np.uint8)
    sheet = contact_sheet([[a, b], [b]], tmp_path / "plain.png", gap=2)
    assert sheet.shape == (22, 26, 3)
    assert (sheet[:10, :12] == 0).all() and (sheet[:10, 14:] == 100).all()
    assert (sheet[10:12] == 255).all() and (sheet[12:, 14:] == 255).all()  # gap, padded row
    np.testing.assert_array_equal(iio.imread(tmp_path / "plain.png"), sheet)
    named = contact_sheet([[a, b], [b]], tmp_path / "named.png", ["one", "two"], ["r0", "r1"])
    top, left = named.shape[0] - 22, named.shape[1] - 26
    assert top > 0 and left > 0 and (named[:top] < 128).any() and (named[top:, :left] < 128).any()
    np.testing.assert_array_equal(named[top:, left:], sheet)
    small = contact_sheet([[a, b]], tmp_path / "half.png", height=5)
    assert small.shape == (5, 6 + 2 + 6, 3)


def test_layers_sheet_has_input_layers_alphas_and_reconstruction(tmp_path):
    N, H, W = 6, 16, 20
    frames = np.full((N, H, W, 3), 90, np.uint8)
    rgba = np.zeros((2, N, H, W, 4), np.uint8)
    rgba[0, :, 4:8, 4:8] = 255
    sheet = layers_sheet(frames, rgba, frames, tmp_path / "s.png", num_frames=3)
    columns, rows = 1 + 2 + 2 + 1, 3
    body = sheet[sheet.shape[0] - (rows * (H + 2) - 2):, sheet.shape[1] - (columns * (W + 2) - 2):]
    alpha0 = body[:H, 3 * (W + 2):3 * (W + 2) + W]
    assert (alpha0[4:8, 4:8] == 255).all() and alpha0.sum() == 16 * 255 * 3


def test_outline_marks_only_the_masks_border():
    mask = np.zeros((1, 8, 8), bool)
    mask[0, 2:6, 2:6] = True
    out = outline(np.zeros((8, 8), np.uint8), mask, np.array([[255, 0, 0]], np.uint8))
    red = out[..., 0] == 255
    assert red.sum() == 12 and not red[3:5, 3:5].any() and not red[~mask[0]].any()
    thick = outline(np.zeros((8, 8), np.uint8), mask, np.array([[255, 0, 0]], np.uint8), width=2)
    assert (thick[..., 0] == 255).sum() == 16
