"""Trial (session 29, not adopted): with MC_K=K set, `decompose`'s inference averages K passes,
the first with dropout off (ours), the rest with it on (as the reference infers), alpha and
premultiplied colour. Python imports this file at start-up when its folder is on PYTHONPATH,
so every score.py process that sweep.py starts is patched:

    PYTHONPATH=experiments/dev_benchmark/mc_dropout:$PWD MC_K=4 \
      python experiments/dev_benchmark/sweep.py SETTINGS.json --out RUNS ...

Results: README, "Measured in session 29 and not adopted".
"""
import os
if os.environ.get("MC_K"):
    import torch
    import torch.nn as nn
    import omnigame.api as api
    K, ON, _orig = int(os.environ["MC_K"]), [False], api.infer_layers
    nn.Dropout.forward = lambda self, x: nn.functional.dropout(x, self.p, self.training or ON[0])

    def _mc(*args, **kwargs):
        outs = [_orig(*args, **kwargs)]
        ON[0] = True
        try:
            outs += [_orig(*args, **kwargs) for _ in range(K - 1)]
        finally:
            ON[0] = False
        rgba = torch.stack(outs)
        alpha = rgba[:, :, :, 3:].mean(0)
        held = (rgba[:, :, :, :3] * rgba[:, :, :, 3:]).mean(0)
        colour = torch.where(alpha > 0, held / alpha.clamp_min(1e-6), outs[0][:, :, :3])
        return torch.cat([colour.clamp(0, 1), alpha], 2)
    api.infer_layers = _mc
