"""train.precision: the training step's forward pass in bfloat16 or float32."""
import pytest
import torch

from omnigame.data.clips import ClipDataset
from omnigame.api import make_config
from omnigame.config import ClipConfig, TrainConfig
from omnigame.data.prepare import prepare
from omnigame.model.network import OmnigameModel
from omnigame.model.rgba_decoder import RGBADecoder
from omnigame.training import loop
from omnigame.training.precision import native_bf16, step_precision, uses_bf16

from conftest import disc_video, tiny_model_config


def test_a_wrong_precision_is_refused_at_once():
    with pytest.raises(ValueError, match="auto, bf16, fp32"):
        TrainConfig(precision="bf61")
    with pytest.raises(ValueError, match="auto, bf16, fp32"):
        make_config(**{"train.precision": "bf61"})
    with pytest.raises(ValueError, match="auto, bf16, fp32"):
        uses_bf16("bf61", "cpu")


@pytest.mark.parametrize("precision, expected", [("bf16", torch.bfloat16),
                                                 ("fp32", torch.float32)])
def test_the_step_convolves_in_the_chosen_precision(precision, expected):
    conv, x = torch.nn.Conv2d(3, 4, 3), torch.rand(1, 3, 8, 8)
    with step_precision(precision, "cpu"):
        assert conv(x).dtype == expected
    assert conv(x).dtype == torch.float32  # only inside the step


def test_auto_follows_the_device():
    assert uses_bf16("auto", "cpu") == native_bf16("cpu")
    assert not uses_bf16("auto", "meta") and not uses_bf16("fp32", "cpu")


def test_a_bf16_step_trains_float32_weights_on_float32_losses(tmp_path, monkeypatch):
    seen = []
    real = loop.total_loss
    monkeypatch.setattr(loop, "total_loss", lambda rgba, *a, **k: seen.append(rgba.dtype)
                        or real(rgba, *a, **k))
    model = OmnigameModel(tiny_model_config())
    before = [p.detach().clone() for p in model.parameters()]
    loop.train(model, _data(), _cfg(precision="bf16"), tmp_path)
    assert seen == [torch.float32] * 3  # the compositing and losses are exact
    after = list(model.parameters())
    assert all(p.dtype == torch.float32 and p.isfinite().all() for p in after)
    assert any(not torch.equal(a, b) for a, b in zip(before, after))  # the steps took


def _data():
    v = disc_video()
    return ClipDataset([prepare(v, v.background, (32, 48))], ClipConfig(), (32, 48), seed=3)


def _cfg(**options):
    return TrainConfig(steps=3, batch_size=2, lr=3e-3, checkpoint_every=10, log_every=1,
                       image_every=10, progress=False, **options)


def test_the_decoder_takes_its_logits_in_float32_in_a_bf16_step():
    decoder, seen = RGBADecoder(8, [8, 8]), []
    decoder.ups[0].register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    decoder.to_rgba.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    with step_precision("bf16", "cpu"):
        decoder(torch.rand(1, 8, 2, 2))
    assert seen == [torch.bfloat16, torch.float32]  # the rest of the pass stays bfloat16
