"""The training loop: it learns, it resumes exactly, and it checkpoints self-describingly."""
import pytest
import torch

from omnigame.training.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from omnigame.data.clips import ClipDataset, collate
from omnigame.config import ClipConfig, TrainConfig
from omnigame.data.prepare import prepare
from omnigame.model.network import OmnigameModel
from omnigame.training.loop import learning_rate, train

from conftest import disc_video, tiny_model_config


def _setup(seed=0):
    torch.manual_seed(seed)
    model = OmnigameModel(tiny_model_config())
    v = disc_video()
    data = ClipDataset([prepare(v, v.background, (32, 48))], ClipConfig(), (32, 48), seed=3)
    cfg = TrainConfig(steps=4, batch_size=2, checkpoint_every=2, log_every=1, image_every=2,
                      progress=False)
    return model, data, cfg


class Interrupted(ClipDataset):
    """Fails when asked for a clip of step 2 or later, like a run killed mid-way."""

    def __getitem__(self, i):
        if i >= 4:
            raise KeyboardInterrupt
        return super().__getitem__(i)


@pytest.mark.parametrize("anneal", [0.0, 0.5])
def test_resume_gives_the_same_next_steps_as_an_uninterrupted_run(tmp_path, anneal):
    model_a, data, cfg = _setup()
    cfg.lr_anneal = anneal  # the resumed steps take the annealed rate, not the checkpoint's
    train(model_a, data, cfg, tmp_path / "a")

    model_b, data_b, _ = _setup()
    broken = Interrupted(data_b.videos, data_b.clip, data_b.size, data_b.seed, data_b.crop_prob)
    with pytest.raises(KeyboardInterrupt):
        train(model_b, broken, cfg, tmp_path / "b")
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 2
    model_c, _, _ = _setup()
    result = train(model_c, data_b, cfg, tmp_path / "b")
    assert result.steps == 4 and [row["step"] for row in result.history] == [2, 3]
    for (name, a), (_, c) in zip(model_a.state_dict().items(), model_c.state_dict().items()):
        assert torch.equal(a, c), name


def test_learning_rate_is_constant_or_falls_linearly_to_zero_over_the_last_share():
    constant = TrainConfig(steps=10, lr=1e-3)
    assert [learning_rate(s, constant) for s in range(10)] == [1e-3] * 10
    annealed = TrainConfig(steps=10, lr=1e-3, lr_anneal=0.4)
    rates = [learning_rate(s, annealed) for s in range(10)]
    assert rates[:7] == [1e-3] * 7  # the last 4 steps fall from the full rate (step 6) on
    assert rates[7:] == pytest.approx([7.5e-4, 5e-4, 2.5e-4])


def test_training_reduces_the_loss(tmp_path):
    model, data, cfg = _setup()
    cfg.steps, cfg.lr = 15, 3e-3
    result = train(model, data, cfg, tmp_path)
    first, last = result.history[0]["recon"], result.history[-1]["recon"]
    assert last < 0.7 * first
    assert {"loss", "recon", "sparsity", "mask", "lambda_m"} <= set(result.history[0])
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(tmp_path / "tensorboard")).Reload()
    assert {"train/recon", "train/sparsity", "train/mask", "train/lambda_m"} <= set(
        events.Tags()["scalars"])
    panels = events.Images("panels/input|masks|layers|alpha|recon")
    # input, 2 masks, 2 layers, 2 alphas, reconstruction side by side: 8 tiles of 48 px
    assert panels and panels[0].width == 8 * 48 and panels[0].height == 32


def test_checkpoint_is_self_describing(tmp_path):
    model, _, cfg = _setup()
    opt = torch.optim.AdamW(model.parameters())
    save_checkpoint(tmp_path / "c.pt", model, opt, 7, cfg, "ttt")
    state = load_checkpoint(tmp_path / "c.pt")
    assert state["step"] == 7 and state["stage"] == "ttt"
    assert state["config"]["batch_size"] == 2 and "rng" in state and "optimizer" in state
    rebuilt = model_from_checkpoint(state)
    for a, b in zip(model.state_dict().values(), rebuilt.state_dict().values()):
        assert torch.equal(a, b)
    bigger = model_from_checkpoint(state, image_size=(64, 96))  # positional tables resized
    assert bigger.image_pos.x.shape[0] == 6 and bigger.config.image_size == [64, 96]


def test_corrupt_checkpoint_is_reported(tmp_path):
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(bad)


def test_clips_are_deterministic_and_batched():
    _, data, _ = _setup()
    a, b = data[5], data[5]
    assert torch.equal(a["frames"], b["frames"]) and torch.equal(a["visible"], b["visible"])
    assert not torch.equal(data[6]["frames"], a["frames"]) or \
        not torch.equal(data[6]["visible"], a["visible"])
    batch = collate([data[i] for i in range(3)])
    assert batch.frames.shape == (3, 5, 3, 32, 48) and batch.masks.shape == (3, 2, 5, 32, 48)
    assert (~batch.visible).sum(1).tolist() == [3, 3, 3]
