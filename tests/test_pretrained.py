"""The shipped pretrained model: small, loads offline at any size, and its zero-shot layers
beat a randomly initialised model on a scene it has never seen."""
import pytest
import torch

import omnigame
from omnigame.api import initial_model
from omnigame.config import ClipConfig, ModelConfig
from omnigame.data.prepare import prepare
from omnigame.evaluation.evaluate import ground_truth_metrics, load_ground_truth
from omnigame.inference import infer_layers
from omnigame.model.network import OmnigameModel
from omnigame.io.result_writer import build_layers
from omnigame.pretrained import CARD, WEIGHTS
from omnigame.io.readers import read_input
from omnigame.synthetic import SceneConfig, generate_scene, write_scene


def test_the_weights_ship_small_and_in_fp16():
    assert WEIGHTS.stat().st_size < 30 * 2 ** 20
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=False)
    assert state["optimizer"] is None
    assert all(v.dtype == torch.float16 for v in state["model"].values() if v.is_floating_point())
    assert "effect IoU" in CARD.read_text()


@pytest.mark.parametrize("size", [(64, 112), (128, 224)])
def test_load_pretrained_at_any_multiple_of_16(size):
    model = omnigame.load_pretrained(image_size=size)
    assert model.config.image_size == list(size)
    assert next(model.parameters()).dtype == torch.float32  # the caller owns the dtype
    frames, masks = torch.rand(1, 5, 3, *size), torch.zeros(1, 2, 5, *size)
    visible = torch.tensor([[True, False, True, False, True]])
    out = model.eval()(frames, masks, visible, torch.tensor([[1, 3]]))
    assert out.shape == (1, 2, 2, 4, *size)


def test_decompose_starts_from_the_shipped_weights():
    model = initial_model("pretrained", ModelConfig(), (64, 112))
    shipped = torch.load(WEIGHTS, map_location="cpu", weights_only=False)["model"]
    for name, value in model.state_dict().items():
        if "pos" not in name:  # positional tables are resized to the model size
            assert torch.equal(value, shipped[name].float()), name


def _effect_iou(model, scene, video) -> float:
    prepared = prepare(video, video.background, tuple(model.config.image_size))
    rgba = infer_layers(model, prepared, ClipConfig(), batch_frames=8, progress=False)
    layers = build_layers(rgba, video, video.background, detail=False)
    return ground_truth_metrics(layers, video, load_ground_truth(str(scene)))["effect_iou"]["mean"]


def test_pretrained_layers_beat_random_weights_on_a_fresh_scene(tmp_path):
    # A held-out (test split) scene that no training run generated: two objects with shadows.
    config = SceneConfig(height=64, width=112, num_frames=16, min_objects=2, max_objects=2,
                         effects=["shadow"], no_effect_prob=0.0, split="test")
    scene = write_scene(generate_scene(config, seed=2026), tmp_path / "scene")
    video = read_input(scene)
    pretrained = omnigame.load_pretrained(image_size=(64, 112))
    torch.manual_seed(0)
    random_init = OmnigameModel(pretrained.config)
    ours, chance = _effect_iou(pretrained, scene, video), _effect_iou(random_init, scene, video)
    print(f"effect IoU: pretrained {ours:.3f}, random weights {chance:.3f}")
    assert ours > 0.5 and ours > chance + 0.3, (ours, chance)


def test_model_settings_that_a_checkpoint_overrides_are_warned_about(caplog):
    with caplog.at_level("WARNING", logger="omnigame.api"):
        initial_model("pretrained", ModelConfig(), (64, 112))
    assert not caplog.records  # the defaults describe the shipped model: nothing to say
    with caplog.at_level("WARNING", logger="omnigame.api"):
        initial_model("pretrained", ModelConfig(heads=2), (64, 112))
    assert "settings are ignored" in caplog.text
