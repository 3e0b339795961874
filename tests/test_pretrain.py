"""Pretraining over streamed synthetic scenes with mixed object counts (padded batches)."""
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
