"""Does averaging help the model's final layers? One `score.py` run that also keeps, for each
scene, the model output of three kinds of average, scored afterwards with `rescore.py`:

  ema<d>  the weights' exponential moving average (decay d) from the end of the effect
          warm-up (`train.loss.effect_warmup`) to the last step;
  ckpt3   the layers of the weights 60 and 30 steps before the end and of the last ones,
          averaged (premultiplied colour, alpha);
  ctx3    each frame decoded in three clips, with it at positions 1, 2 and 3 of the five
          (the default: the middle), averaged the same way.

    OMP_NUM_THREADS=1 python experiments/dev_benchmark/averaging.py --out RUN [score.py args]
    OMP_NUM_THREADS=1 python experiments/dev_benchmark/rescore.py RUN_ctx3 --out OUT  # each

The averages' raw outputs go to RUN_<name>/layers/ beside RUN's own; copy RUN/results.json
into each before rescoring it (rescore takes the scenes' folders and seconds from it). The
comparison is paired: the same training run, only the last step differs. Results (session
27): README, "Measured in session 27 and not adopted".
"""
from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import score  # noqa: E402
import omnigame.api  # noqa: E402
import omnigame.inference  # noqa: E402
import omnigame.training.loop  # noqa: E402

DECAYS = (0.98, 0.995)
SNAPSHOTS = (60, 30)  # steps before the end
PLACES = (1, 3)  # besides the default middle of a 5-frame clip
STATE = {"ema": {}, "snapshots": [], "averages": {}}
_step, _infer = omnigame.training.loop._step, omnigame.api.infer_layers
_clip, _score_scene = omnigame.inference.clip_for_frame, score.score_scene


def step(model, opt, batch, cfg, index, monitor):
    """The loop's step, then the averages' bookkeeping."""
    row = _step(model, opt, batch, cfg, index, monitor)
    start, done = int(cfg.loss.effect_warmup * cfg.steps), index + 1
    weights = model.state_dict()
    if done == max(start, 1):
        STATE["ema"] = {d: copy.deepcopy(weights) for d in DECAYS}
    elif done > start:
        for decay, ema in STATE["ema"].items():
            for name, value in weights.items():
                if value.dtype.is_floating_point:
                    ema[name].mul_(decay).add_(value.detach(), alpha=1 - decay)
    if cfg.steps - done in SNAPSHOTS:
        STATE["snapshots"].append(copy.deepcopy(weights))
    return row


def mean_layers(outputs):
    """[(L, N, 4, H, W) straight RGBA] -> their mean, premultiplied colour over mean alpha."""
    alpha = torch.stack([o[:, :, 3:] for o in outputs]).mean(0)
    colour = torch.stack([o[:, :, :3] * o[:, :, 3:] for o in outputs]).mean(0)
    return torch.cat([torch.where(alpha > 1e-6, colour / alpha.clamp_min(1e-6),
                                  outputs[-1][:, :, :3]), alpha], 2)


def infer(model, *args, **kwargs):
    """The default layers (returned), and each average's (kept in STATE)."""
    final = _infer(model, *args, **kwargs)
    last = copy.deepcopy(model.state_dict())

    def with_weights(weights):
        model.load_state_dict(weights)
        return _infer(model, *args, **kwargs)
    averages = {f"ema{d}": with_weights(w) for d, w in STATE["ema"].items()}
    if STATE["snapshots"]:
        averages["ckpt3"] = mean_layers([with_weights(w) for w in STATE["snapshots"]] + [final])
    model.load_state_dict(last)
    placed = []
    for place in PLACES:
        omnigame.inference.clip_for_frame = functools.partial(_clip, place=place)
        placed.append(_infer(model, *args, **kwargs))
    omnigame.inference.clip_for_frame = _clip
    averages["ctx3"] = mean_layers(placed + [final])
    STATE.update(ema={}, snapshots=[], averages=averages)
    return final


def score_scene(folder, options, floor_only, sheets, key, *args):
    """score.py's, then each average's raw output next to the run's own."""
    row = _score_scene(folder, options, floor_only, sheets, key, *args)
    run, name = sheets.parent, f"raw__{key.replace('/', '__')}.pt"
    raw = torch.load(run / "layers" / name, weights_only=False)  # our own file
    for tag, rgba in STATE["averages"].items():
        store = run.parent / f"{run.name}_{tag}" / "layers"
        store.mkdir(parents=True, exist_ok=True)
        torch.save({**raw, "rgba_small": rgba}, store / name)
    STATE["averages"] = {}
    return row


if __name__ == "__main__":
    omnigame.training.loop._step, omnigame.api.infer_layers = step, infer
    score.score_scene = score_scene
    score.main()
