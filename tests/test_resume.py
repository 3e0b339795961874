"""Resuming checks what it resumes: the same video, initial model and settings, or a clear
error; a changed learning rate is applied; timings add up; interrupted overwrites resume."""
import json

import numpy as np
import pytest
import torch
import yaml

import omnigame
from omnigame.config import DecomposeConfig
from omnigame.data.clips import ClipDataset
from omnigame.data.prepare import prepare
from omnigame.training import loop
from omnigame.training.checkpoint import load_checkpoint
from omnigame.training.loop import ResumeMismatch, train

from conftest import disc_video, tiny_model_config
from test_training import Interrupted, _setup

TINY = DecomposeConfig(model=tiny_model_config(), init="scratch")
FAST = dict(steps=4, batch_size=2, size=(32, 48), progress=False,
            **{"train.checkpoint_every": 2})


def _interrupted_run(run_dir, cfg=None):
    """Steps 0 and 1 of a 4-step run, then killed: the checkpoint is at step 2."""
    model, data, default = _setup()
    cfg = cfg or default
    broken = Interrupted(data.videos, data.clip, data.size, data.seed, data.crop_prob)
    with pytest.raises(KeyboardInterrupt):
        train(model, broken, cfg, run_dir)
    return data, cfg


def test_a_checkpoint_of_another_video_is_refused_with_the_way_out(tmp_path):
    _interrupted_run(tmp_path)
    model, _, cfg = _setup()
    v = disc_video(seed=5)  # other discs
    other = ClipDataset([prepare(v, v.background, (32, 48))], cfg.clip, (32, 48), seed=3)
    with pytest.raises(ResumeMismatch, match="another video") as err:
        train(model, other, cfg, tmp_path)
    assert str(tmp_path) in str(err.value) and "overwrite=true" in str(err.value)


def test_changed_settings_and_initial_weights_are_named(tmp_path):
    data, cfg = _interrupted_run(tmp_path)
    cfg.batch_size = 3
    model, _, _ = _setup(seed=7)
    with pytest.raises(ResumeMismatch) as err:
        train(model, data, cfg, tmp_path)
    assert "train.batch_size (2 -> 3)" in str(err.value)
    assert "initial_weights (another init" in str(err.value)


def test_a_lower_lr_is_applied_on_resume_and_time_adds_up(tmp_path):
    data, cfg = _interrupted_run(tmp_path)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["seconds"] > 0
    state["seconds"] = 1000.0  # as if the interrupted session had trained for 1000 s
    torch.save(state, tmp_path / "checkpoint.pt")
    cfg.lr = 1e-5  # the advice after a NaN loss
    model, _, _ = _setup()
    result = train(model, data, cfg, tmp_path)
    assert result.steps == 4 and 1000.0 < result.seconds < 1000.0 + 600
    final = load_checkpoint(tmp_path / "checkpoint.pt")
    assert final["optimizer"]["param_groups"][0]["lr"] == 1e-5
    assert final["seconds"] == pytest.approx(result.seconds)


def _kill_at(monkeypatch, at_step, error=KeyboardInterrupt):
    """Make the training loop die at `at_step`; return the list of steps it took."""
    taken, real = [], loop._step

    def step(model, opt, batch, cfg, i, monitor):
        if i == at_step:
            raise error
        taken.append(i)
        return real(model, opt, batch, cfg, i, monitor)
    monkeypatch.setattr(loop, "_step", step)
    return taken


def test_an_interrupted_overwrite_resumes_and_gives_the_uninterrupted_result(tmp_path,
                                                                             monkeypatch):
    v, out = disc_video(N=13), tmp_path / "out"
    first = omnigame.decompose(v, out_dir=out, config=TINY, **FAST)
    taken = _kill_at(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        omnigame.decompose(v, out_dir=out, config=TINY, overwrite=True, **FAST)
    assert load_checkpoint(out / "train" / "checkpoint.pt")["step"] == 2
    monkeypatch.undo()
    taken = _kill_at(monkeypatch, 99)
    again = omnigame.decompose(v, out_dir=out, config=TINY, overwrite=True, **FAST)
    assert taken == [2, 3]  # resumed, not restarted
    assert np.array_equal(again.rgba, first.rgba)
    assert again.metrics["ttt_steps"] == 4


def test_the_nan_advice_works_lower_lr_and_run_again(tmp_path, monkeypatch):
    v, out = disc_video(N=13), tmp_path / "out"
    _kill_at(monkeypatch, 3, FloatingPointError("loss is nan at step 3"))
    with pytest.raises(FloatingPointError):
        omnigame.decompose(v, out_dir=out, config=TINY, **FAST)
    monkeypatch.undo()
    taken = _kill_at(monkeypatch, 99)
    omnigame.decompose(v, out_dir=out, config=TINY, lr=1e-5, keep_checkpoint=True, **FAST)
    assert taken == [2, 3]  # resumed from the step-2 checkpoint ...
    state = load_checkpoint(out / "train" / "checkpoint.pt")
    assert state["optimizer"]["param_groups"][0]["lr"] == 1e-5  # ... with the lower lr


def test_overwrite_replaces_a_checkpoint_of_other_settings(tmp_path, monkeypatch):
    v, out = disc_video(N=13), tmp_path / "out"
    omnigame.decompose(v, out_dir=out, config=TINY, keep_checkpoint=True, **FAST)
    assert (out / "train" / "checkpoint.pt").exists()
    taken = _kill_at(monkeypatch, 99)
    omnigame.decompose(v, out_dir=out, config=TINY, overwrite=True, seed=1, **FAST)
    assert taken == [0, 1, 2, 3]
    assert not (out / "train" / "checkpoint.pt").exists()  # keep_checkpoint is off


def test_config_yaml_records_the_model_that_ran(tmp_path):
    out = tmp_path / "out"
    omnigame.decompose(disc_video(N=13), out_dir=out, config=TINY,
                       **{**FAST, "size": (32, 64)})
    written = yaml.safe_load((out / "config.yaml").read_text())
    assert written["model"]["image_size"] == [32, 64]  # TINY said 32x48
    assert written["model"]["encoder_channels"] == [8, 16, 32, 32]
    assert json.loads((out / "metrics.json").read_text())["model_size"] == [32, 64]


@pytest.mark.parametrize("size", [(-16, 32), (30, 48), (32,)])
def test_bad_sizes_name_the_option(size):
    with pytest.raises(ValueError, match="input.size"):
        omnigame.decompose(disc_video(N=13), config=TINY, **{**FAST, "size": size})
