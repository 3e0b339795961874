"""Test-time training's batch shrinks with the number of objects (train.max_object_clips)."""
import numpy as np
import pytest

import omnigame
from omnigame.api import object_batch
from omnigame.config import TrainConfig
from omnigame.training.checkpoint import load_checkpoint

from conftest import disc_video, tiny_model_config
from omnigame.io.video import Video
from test_camera import decompose_tiny, moving_scene


@pytest.mark.parametrize("objects, batch", [(1, 4), (2, 4), (3, 3), (4, 2), (9, 1), (20, 1)])
def test_a_step_trains_at_most_max_object_clips_pairs(objects, batch):
    config = TrainConfig(batch_size=4, max_object_clips=9)
    assert object_batch(config, objects).batch_size == batch


@pytest.mark.parametrize("objects, batch", [(1, 2), (2, 2), (3, 2), (4, 1)])
def test_the_defaults_keep_one_to_three_objects_at_the_full_batch(objects, batch):
    assert object_batch(TrainConfig(), objects).batch_size == batch


def test_no_limit_keeps_the_batch():
    config = TrainConfig(batch_size=8, max_object_clips=0)
    assert object_batch(config, 3).batch_size == 8


def test_test_time_training_runs_with_the_shrunk_batch(tmp_path):
    model = omnigame.OmnigameModel(tiny_model_config())
    config = TrainConfig(steps=1, batch_size=4, max_object_clips=6, progress=False)
    omnigame.test_time_train(model, disc_video(N=13, objects=3), config, run_dir=tmp_path)
    assert load_checkpoint(tmp_path / "checkpoint.pt")["config"]["batch_size"] == 2


@pytest.mark.parametrize("objects, scale, batch", [(1, 1.6, 4), (2, 1.6, 2), (3, 1.6, 1),
                                                    (2, 1.0, 4)])
def test_a_larger_canvas_trains_fewer_clips(objects, scale, batch):
    config = TrainConfig(batch_size=4, max_object_clips=9)
    assert object_batch(config, objects, scale).batch_size == batch


def test_decompose_on_a_moving_camera_shrinks_the_batch_with_the_canvas(tmp_path):
    scene = moving_scene(seed=1)  # a generated pan: the canvas is wider than a frame
    video = Video(scene.camera.frames[:14], scene.camera.masks[:, :14], scene.order[:14])
    layers = decompose_tiny(video, tmp_path / "out", keep_checkpoint=True,
                            **{"train.batch_size": 4, "train.max_object_clips": 12})
    scale = np.prod(layers.metrics["model_size"]) / (32 * 48)  # over the frame's model size
    objects = video.num_objects
    assert layers.metrics["camera"] == "estimated" and scale > 1.2
    assert layers.metrics["ttt_batch_size"] == max(1, int(12 / (objects * scale)))
    assert layers.metrics["ttt_batch_size"] < min(4, 12 // objects)  # than on still frames
    trained = load_checkpoint(tmp_path / "out" / "train" / "checkpoint.pt")["config"]
    assert trained["batch_size"] == layers.metrics["ttt_batch_size"]  # what training used
