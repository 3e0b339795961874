"""TensorBoard logging: loss curves every step, image panels every `image_every` steps."""
from __future__ import annotations

from pathlib import Path

import torch

from ..io.layers import over_checkerboard
from ..model.compositing import composite
from ..config import TrainConfig
from ..data.prepare import Batch


def layers_over_checkerboard(layers: torch.Tensor) -> torch.Tensor:
    """Model layers (L, 4, H, W) in [0, 1] -> (L, 3, H, W) in [0, 1], shown over checks."""
    rgba = (layers.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return torch.from_numpy(over_checkerboard(rgba)).permute(0, 3, 1, 2).float() / 255


class Monitor:
    """Writes to run_dir/tensorboard; `tensorboard --logdir <run_dir>` shows it."""

    def __init__(self, log_dir: Path, cfg: TrainConfig, purge_step=None):
        from torch.utils.tensorboard import SummaryWriter  # imported late: it is slow to load
        self.writer = SummaryWriter(str(log_dir), purge_step=purge_step)
        self.cfg = cfg

    def scalars(self, row: dict, step: int) -> None:
        for key, value in row.items():
            if key != "step":
                self.writer.add_scalar(f"train/{key}", value, step)

    def panels(self, batch: Batch, rgba: torch.Tensor, hidden: torch.Tensor, step: int) -> None:
        """First clip, first hidden frame: input | masks | layers | alpha | reconstruction."""
        k = hidden[0, 0]
        layers = rgba[0, :, 0].float().cpu()  # (L, 4, H, W)
        recon = composite(rgba[:1, :, :1], batch.background[:1, k][:, None],
                          batch.order[:1, k][:, None], batch.object_valid[:1])[0, 0]
        row = [batch.frames[0, k].cpu()]
        row += [batch.masks[0, l, k].cpu().expand(3, -1, -1) for l in range(layers.shape[0])]
        row += list(layers_over_checkerboard(layers))
        row += [a.expand(3, -1, -1) for a in layers[:, 3:]]
        row.append(recon.cpu())
        self.writer.add_image("panels/input|masks|layers|alpha|recon",
                              torch.cat(row, dim=2).clamp(0, 1), step)

    def close(self) -> None:
        self.writer.close()


class NoMonitor:
    """What ranks other than 0 log with: nothing (one TensorBoard writer per run)."""

    def scalars(self, row: dict, step: int) -> None:
        pass

    def panels(self, *args) -> None:
        pass

    def close(self) -> None:
        pass
