"""decompose() end to end: every frame gets layers at the input resolution, outputs are written
and never silently replaced, and cached inference equals the plain forward pass."""
import json

import imageio.v3 as iio
import numpy as np
import pytest
import torch

import omnigame
from omnigame.data.clips import ClipDataset
from omnigame.config import ClipConfig, DecomposeConfig
from omnigame.data.prepare import prepare
from omnigame.inference import clip_for_frame, inference_gap, infer_layers
from omnigame.model.network import OmnigameModel
from omnigame.io.video import InputError

from conftest import disc_video, tiny_model_config
from test_inputs import write_omnimatte

TINY = DecomposeConfig(model=tiny_model_config(), init="scratch")
FAST = dict(steps=3, batch_size=2, size=(32, 48), progress=False)


@pytest.mark.parametrize("N", [13, 14, 16, 40])
@pytest.mark.parametrize("place", [None, 1, 3])
def test_every_frame_gets_a_clip_that_hides_it(N, place):
    clip = ClipConfig()
    gap = inference_gap(N, clip)
    for f in range(N):
        frames, visible, k = clip_for_frame(f, N, clip, gap, place)
        assert frames[k] == f and not visible[k]
        assert frames.min() >= 0 and frames.max() < N
        assert np.all(np.diff(frames) == gap) and visible.sum() == clip.length - clip.hidden
        # away from the video's ends f sits where it is asked to (the middle by default)
        want = clip.length // 2 if place is None else place
        if f - want * gap >= 0 and f + (clip.length - 1 - want) * gap <= N - 1:
            assert k == want


def test_cached_inference_equals_the_forward_pass():
    torch.manual_seed(0)
    model = OmnigameModel(tiny_model_config()).eval()
    v = disc_video(N=16)
    pv = prepare(v, v.background, (32, 48))
    layers = infer_layers(model, pv, ClipConfig(), batch_frames=3, progress=False)
    assert layers.shape == (2, 16, 4, 32, 48)
    for f in (0, 7, 15):
        frames, visible, k = clip_for_frame(f, 16, ClipConfig(), 3)
        idx = torch.from_numpy(frames)
        direct = model(pv.frames[idx][None].float() / 255, pv.masks[:, idx][None].float(),
                       torch.from_numpy(visible)[None], torch.tensor([[k]]))
        # float reordering between batch sizes only; a wrong cached frame differs by ~0.1
        assert torch.allclose(direct[0, :, 0], layers[:, f], atol=1e-4)


def test_decompose_writes_layers_for_every_frame_at_input_size(tmp_path):
    v = disc_video(N=14, H=40, W=60)  # not a multiple of 16: model runs at 32x48
    root = write_omnimatte(tmp_path / "clip", v)
    out = tmp_path / "out"
    layers = omnigame.decompose(root, out_dir=out, config=TINY, **FAST)
    assert layers.rgba.shape == (2, 14, 40, 60, 4) and layers.rgba.dtype == np.uint8
    assert layers.reconstruction.shape == (14, 40, 60, 3)
    for name in ("01", "02"):
        files = sorted((out / "layers" / name).glob("*.png"))
        assert len(files) == 14 and iio.imread(files[0]).shape == (40, 60, 4)
    assert len(list((out / "reconstruction").glob("*.png"))) == 14
    assert iio.imread(out / "background.png").shape == (40, 60, 3)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["reconstruction_psnr"] == pytest.approx(layers.metrics["reconstruction_psnr"])
    assert metrics["ttt_steps"] == 3 and "train" in (out / "config.yaml").read_text()
    assert metrics["ttt_batch_size"] == FAST["batch_size"]
    preview = iio.imread(out / "preview.mp4", plugin="pyav")
    assert preview.shape[0] == 14 and preview.shape[2] > 5 * preview.shape[1] // 2
    # the checkpoint (weights + optimizer) is deleted once the result is written
    assert not (out / "train" / "checkpoint.pt").exists() and not (out / ".staging").exists()
    assert (out / "train" / "tensorboard").is_dir()


def test_existing_output_is_never_silently_overwritten(tmp_path):
    v = disc_video(N=13)
    out = tmp_path / "out"
    first = omnigame.decompose(v, out_dir=out, config=TINY, **FAST)
    before = (out / "metrics.json").read_text()
    with pytest.raises(FileExistsError, match="finished result"):
        omnigame.decompose(v, out_dir=out, config=TINY, **FAST)
    assert (out / "metrics.json").read_text() == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        omnigame.decompose(v, out_dir=other, config=TINY, **FAST)
    again = omnigame.decompose(v, out_dir=out, config=TINY, overwrite=True, **FAST)
    assert again.rgba.shape == first.rgba.shape


def test_decompose_rejects_bad_options_and_short_videos():
    with pytest.raises(TypeError, match="unknown option 'stepz'"):
        omnigame.decompose(disc_video(N=13), stepz=3)
    with pytest.raises(InputError, match="needs 13"):
        omnigame.decompose(disc_video(N=8), config=TINY, **FAST)
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        omnigame.decompose(disc_video(N=13), init="missing.pt", **FAST)


def test_detail_transfer_restores_what_the_layers_missed():
    v = disc_video(N=13)
    plain = omnigame.decompose(v, config=TINY, detail_transfer=False, **FAST)
    detailed = omnigame.decompose(v, config=TINY, **FAST)  # on by default
    err = lambda L: np.abs(L.reconstruction.astype(int) - v.frames.astype(int)).mean()
    assert err(detailed) < 0.5 * err(plain)
    assert np.array_equal(detailed.rgba[..., 3], plain.rgba[..., 3])  # alpha untouched


def test_load_result_gives_back_the_layers_order_and_fps(tmp_path):
    v = disc_video(N=13)
    v.order[::2] = v.order[::2, ::-1]  # object 1 behind object 0 in every other frame
    v.fps = 7.5
    out = tmp_path / "out"
    layers = omnigame.decompose(v, out_dir=out, config=TINY, **FAST)
    loaded = omnigame.load_result(out)
    assert np.array_equal(loaded.rgba, layers.rgba) and np.array_equal(loaded.order, v.order)
    assert loaded.fps == 7.5 and loaded.object_names == layers.object_names
    assert np.array_equal(loaded.composite(), layers.reconstruction)
    assert loaded.metrics["reconstruction_psnr"] == pytest.approx(
        layers.metrics["reconstruction_psnr"])
    with pytest.raises(FileNotFoundError, match="no such folder"):
        omnigame.load_result(tmp_path / "nothing")
