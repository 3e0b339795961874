"""Test-time training from scratch on a generated scene: the layer must take the shadow."""
import numpy as np

import omnigame
from omnigame.config import DecomposeConfig, ModelConfig

from conftest import shadow_video


def test_ttt_from_scratch_puts_the_shadow_in_the_objects_layer():
    video, shadow = shadow_video()
    small = ModelConfig(encoder_channels=[16, 32, 64, 64], decoder_channels=[64, 32, 16, 16],
                        pos_dims=[24, 24, 16])
    config = DecomposeConfig(model=small, init="scratch")
    layers = omnigame.decompose(video, config=config, size=(64, 64),
                                steps=300, batch_size=4, lr=1e-3, progress=False)
    assert layers.metrics["reconstruction_psnr"] > 30.0
    alpha = layers.alpha[0]
    outside = ~shadow & ~video.masks[0]
    # the shadow is 55% dark: its alpha (with dark colour) must be in the object's layer
    assert alpha[shadow].mean() > 0.35, alpha[shadow].mean()
    assert alpha[outside].mean() < 0.05
    assert alpha[video.masks[0]].mean() > 0.6
    # and it is dark where the shadow falls
    assert layers.rgba[0][shadow][:, :3].mean() < 80
