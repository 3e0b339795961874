"""Data-parallel training with 2 CPU processes (gloo): ranks draw different clips, only rank 0
writes, and an interrupted-then-resumed run ends with the weights of an uninterrupted one."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from omnigame.config import ClipConfig, LossConfig, MaskScheduleConfig, TrainConfig
from omnigame.data.clips import ClipDataset
from omnigame.data.prepare import prepare
from omnigame.model.network import OmnigameModel
from omnigame.training import distributed as dd
from omnigame.training.checkpoint import load_checkpoint
from omnigame.training.loop import train

from conftest import disc_video, tiny_model_config


class StopAtStep2(ClipDataset):
    """With a global batch of 4, clips 8.. belong to step 2 on both ranks: both stop there."""

    def __getitem__(self, i):
        if i >= 8:
            raise KeyboardInterrupt
        return super().__getitem__(i)


def _worker(rank, world, init_file, run_dir, stop, out_file):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    torch.manual_seed(rank)  # different initial weights: DDP must start all from rank 0's
    model = OmnigameModel(tiny_model_config())
    videos = [prepare(v, v.background, (32, 48)) for v in (disc_video(seed=s) for s in range(3))]
    kind = StopAtStep2 if stop else ClipDataset
    data = kind(videos, ClipConfig(), (32, 48), seed=3)
    # the tiny pretraining preset's schedule, on the conftest model
    cfg = TrainConfig(steps=4, batch_size=4, lr=1e-3, checkpoint_every=2, log_every=1,
                      image_every=2, progress=False, loss=LossConfig(mask=MaskScheduleConfig(
                          initial=1.0, at_steps=[2, 4], at_fractions=[])))
    steps = []
    try:
        steps = [row["step"] for row in train(model, data, cfg, run_dir, "pretrain").history]
    except KeyboardInterrupt:
        pass
    torch.save({"weights": model.state_dict(), "steps": steps}, f"{out_file}.{rank}")
    dist.destroy_process_group()


def _run(tmp_path, name, run_dir, stop=False):
    out = tmp_path / name
    mp.spawn(_worker, args=(2, str(tmp_path / f"{name}.rdv"), str(run_dir), stop, str(out)),
             nprocs=2, join=True)
    return [torch.load(f"{out}.{r}") for r in range(2)]


def _equal(a, b):
    return all(torch.equal(a["weights"][k], b["weights"][k]) for k in a["weights"])


def test_two_processes_resume_exactly(tmp_path):
    whole = _run(tmp_path, "whole", tmp_path / "a")
    assert _equal(whole[0], whole[1])  # replicas stay identical: gradients averaged
    events = list((tmp_path / "a" / "tensorboard").glob("events.*"))
    assert len(events) == 1  # rank 0 alone logs
    state = load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    assert state["step"] == 4 and len(state["rank_rng"]) == 2
    assert not torch.equal(state["rank_rng"][0], state["rank_rng"][1])  # own dropout per rank

    _run(tmp_path, "stopped", tmp_path / "b", stop=True)
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 2
    resumed = _run(tmp_path, "resumed", tmp_path / "b")
    assert whole[0]["steps"] == [0, 1, 2, 3] and resumed[0]["steps"] == [2, 3]
    assert _equal(resumed[0], whole[0]) and _equal(resumed[1], whole[1])


def test_ranks_split_each_step_batch(monkeypatch):
    single = list(dd.RankSampler(1, 3, 4))
    monkeypatch.setattr(dd, "world_size", lambda: 2)
    shares = []
    for r in range(2):
        monkeypatch.setattr(dd, "rank", lambda r=r: r)
        shares.append(list(dd.RankSampler(1, 3, 4)))
    assert shares == [[4, 5, 8, 9], [6, 7, 10, 11]]
    assert sorted(shares[0] + shares[1]) == single
    with pytest.raises(ValueError, match="divisible"):
        dd.RankSampler(0, 2, 3)
