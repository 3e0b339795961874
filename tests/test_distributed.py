"""Data-parallel training with 2 CPU processes (gloo): ranks draw different clips, only rank 0
writes, and an interrupted-then-resumed run ends with the weights of an uninterrupted one."""
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


def _train(rank, run_dir, stop):
    """The tiny pretraining preset's schedule on the conftest model; rank 0's steps taken."""
    torch.manual_seed(rank)  # different initial weights: DDP must start all from rank 0's
    model = OmnigameModel(tiny_model_config())
    videos = [prepare(v, v.background, (32, 48)) for v in (disc_video(seed=s) for s in range(3))]
    data = (StopAtStep2 if stop else ClipDataset)(videos, ClipConfig(), (32, 48), seed=3)
    cfg = TrainConfig(steps=4, batch_size=4, lr=1e-3, checkpoint_every=2, log_every=1,
                      image_every=2, progress=False, loss=LossConfig(mask=MaskScheduleConfig(
                          initial=1.0, at_steps=[2, 4], at_fractions=[])))
    steps = []
    try:
        steps = [row["step"] for row in train(model, data, cfg, run_dir, "pretrain").history]
    except KeyboardInterrupt:
        pass
    return {"weights": model.state_dict(), "steps": steps}


def _worker(rank, world, init_file, root):
    """One process of three 2-process runs: whole (a), stopped at step 2 then resumed (b)."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    runs = {"whole": _train(rank, f"{root}/a", False),
            "stopped": _train(rank, f"{root}/b", True)}
    runs["checkpoint_step"] = load_checkpoint(f"{root}/b/checkpoint.pt")["step"]
    torch.manual_seed(999)  # as in a fresh process: resuming must restore each rank's RNG
    runs["resumed"] = _train(rank, f"{root}/b", False)
    torch.save(runs, f"{root}/runs.{rank}")
    dist.destroy_process_group()


def _equal(a, b):
    return all(torch.equal(a["weights"][k], b["weights"][k]) for k in a["weights"])


def test_two_processes_resume_exactly(tmp_path):
    mp.spawn(_worker, args=(2, str(tmp_path / "rdv"), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"runs.{r}") for r in range(2)]
    whole, resumed = [r["whole"] for r in ranks], [r["resumed"] for r in ranks]
    assert _equal(whole[0], whole[1])  # replicas stay identical: gradients averaged
    assert len(list((tmp_path / "a" / "tensorboard").glob("events.*"))) == 1  # rank 0 logs
    state = load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    assert state["step"] == 4 and len(state["rank_rng"]) == 2
    assert not torch.equal(state["rank_rng"][0], state["rank_rng"][1])  # own dropout per rank
    assert ranks[0]["checkpoint_step"] == 2  # the stopped run left its step-2 checkpoint
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
