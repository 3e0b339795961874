"""Test-time training from scratch (the seed's objective) on a generated scene: the layer must
take the shadow."""
import pytest

import omnigame
from omnigame.config import DecomposeConfig, ModelConfig

from conftest import shadow_video

SMALL = ModelConfig(encoder_channels=[16, 32, 64, 64], decoder_channels=[64, 32, 16, 16],
                    pos_dims=[24, 24, 16])


@pytest.mark.parametrize("steps, batch_size, bar", [
    # ~10 s: the shadow is already in the layer (measured alpha 0.41 on it, 0.014 elsewhere,
    # 32 dB; seeds 1 and 2 give 0.49 and 0.52)
    (150, 2, dict(psnr=30.0, shadow=0.35, on_object=0.6, colour=80)),
    # 35-45 s: the whole shadow (measured alpha 0.56 of the true 0.55 darkening, 39 dB)
    pytest.param(300, 4, dict(psnr=35.0, shadow=0.45, on_object=0.75, colour=40),
                 marks=pytest.mark.slow),
])
def test_ttt_from_scratch_puts_the_shadow_in_the_objects_layer(steps, batch_size, bar):
    video, shadow = shadow_video()
    # the seed's objective: the effect warm-up is made for the pretrained start; from random
    # weights on this scene it measured worse (shadow 0.344, 29.9 dB at 150 steps, 2026-11-22)
    layers = omnigame.decompose(video, config=DecomposeConfig(model=SMALL, init="scratch"),
                                size=(64, 64), steps=steps, batch_size=batch_size, lr=1e-3,
                                progress=False, **{"train.loss.effect_warmup": 0.0,
                                                   "train.loss.sparsity_where": "everywhere"})
    assert layers.metrics["reconstruction_psnr"] > bar["psnr"]
    alpha = layers.alpha[0]
    outside = ~shadow & ~video.masks[0]
    # the shadow is 55% dark: its alpha (with dark colour) must be in the object's layer
    assert alpha[shadow].mean() > bar["shadow"], alpha[shadow].mean()
    assert alpha[outside].mean() < 0.05
    assert alpha[video.masks[0]].mean() > bar["on_object"]
    # and it is dark where the shadow falls
    assert layers.rgba[0][shadow][:, :3].mean() < bar["colour"]
