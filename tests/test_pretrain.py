"""Pretraining over streamed synthetic scenes with mixed object counts (padded batches)."""
import pytest
import torch

import omnigame
from omnigame.training.checkpoint import load_checkpoint
from omnigame.data.clips import ClipDataset, collate
from omnigame.config import ClipConfig, TrainConfig, pretrain_defaults
from omnigame.synthetic import SceneConfig, SceneDataset

from conftest import tiny_model_config


def _scenes():
    return SceneDataset(SceneConfig(height=32, width=48, num_frames=13, min_objects=1,
                                    max_objects=3), seed=5)


def test_batches_mix_object_counts_with_padding_slots():
    data = ClipDataset(_scenes(), ClipConfig(), (32, 48), seed=0)
    batch = collate([data[i] for i in range(6)])
    counts = batch.object_valid.sum(1)
    assert batch.masks.shape[1] == int(counts.max()) and len(set(counts.tolist())) > 1
    # padding slots carry no mask
    assert batch.masks[~batch.object_valid].sum() == 0


def test_pretrain_runs_and_checkpoints(tmp_path):
    cfg = pretrain_defaults()
    cfg.steps, cfg.batch_size, cfg.checkpoint_every, cfg.progress = 3, 2, 3, False
    model, result = omnigame.pretrain(_scenes(), tiny_model_config(), cfg, tmp_path)
    assert result.steps == 3 and all(torch.isfinite(torch.tensor(r["loss"]))
                                     for r in result.history)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["stage"] == "pretrain" and state["config"]["loss"]["mask"]["initial"] == 1.0
    # the checkpoint is a valid start for test-time training at another size
    again = omnigame.api.initial_model(str(tmp_path / "checkpoint.pt"), tiny_model_config(),
                                       (64, 96))
    assert again.config.image_size == [64, 96]


class CountingScenes:
    """A scene stream that counts how many scenes were generated (i.e. asked for)."""

    def __init__(self):
        self.scenes, self.asked = _scenes(), []

    def __len__(self):
        return len(self.scenes)

    def __getitem__(self, i):
        self.asked.append(i)
        return self.scenes[i % 7]


def test_clips_per_video_draws_each_scene_once_for_k_clips():
    stream = CountingScenes()
    data = ClipDataset(stream, ClipConfig(), (32, 48), seed=0, clips_per_video=4)
    clips = [data[i] for i in range(8)]
    assert len(stream.asked) == 2  # two groups of four clips, one scene each
    assert all(torch.equal(c["masks"].amax((1, 2, 3)) > 0, clips[0]["masks"].amax((1, 2, 3)) > 0)
               for c in clips[:4])
    # the clips of a group differ (start, hidden frames, crop), and a group is reproducible
    assert not all(torch.equal(clips[0]["frames"], c["frames"]) for c in clips[1:4])
    again = ClipDataset(CountingScenes(), ClipConfig(), (32, 48), seed=0, clips_per_video=4)
    assert torch.equal(again[5]["frames"], clips[5]["frames"])
    # one clip per scene (the default) asks for a scene per clip
    plain = CountingScenes()
    one = ClipDataset(plain, ClipConfig(), (32, 48), seed=0)
    [one[i] for i in range(3)]
    assert len(plain.asked) == 3
    with pytest.raises(ValueError, match="clips_per_video"):
        ClipDataset(plain, ClipConfig(), (32, 48), clips_per_video=0)
