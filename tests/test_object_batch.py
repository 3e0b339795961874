"""Test-time training's batch shrinks with the number of objects (train.max_object_clips)."""
import pytest

import omnigame
from omnigame.api import object_batch
from omnigame.config import TrainConfig
from omnigame.training.checkpoint import load_checkpoint

from conftest import disc_video, tiny_model_config


@pytest.mark.parametrize("objects, batch", [(1, 4), (2, 4), (3, 3), (4, 2), (9, 1), (20, 1)])
def test_a_step_trains_at_most_max_object_clips_pairs(objects, batch):
    assert object_batch(TrainConfig(), objects).batch_size == batch


def test_no_limit_keeps_the_batch():
    config = TrainConfig(batch_size=8, max_object_clips=0)
    assert object_batch(config, 3).batch_size == 8


def test_test_time_training_runs_with_the_shrunk_batch(tmp_path):
    model = omnigame.OmnigameModel(tiny_model_config())
    config = TrainConfig(steps=1, batch_size=4, max_object_clips=6, progress=False)
    omnigame.test_time_train(model, disc_video(N=13, objects=3), config, run_dir=tmp_path)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["config"]["batch_size"] == 2
