"""Hydra configs compose into the typed dataclasses; typos fail at once."""
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from omnigame.conf import CONF_DIR
from omnigame.config import DecomposeJob, PretrainJob, register_configs

CONF = CONF_DIR
register_configs()


def _compose(name, overrides=()):
    # out_dir defaults to Hydra's run folder, which exists only inside a run: name one.
    extra = ["out_dir=/tmp/omnigame-test"] if name == "decompose" else []
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose(config_name=name, overrides=extra + list(overrides))


@pytest.mark.parametrize("preset, batch", [("cpu", 2), ("paper", 32), ("reference", 8),
                                           ("tiny", 2)])
def test_decompose_presets(preset, batch):
    cfg = _compose("decompose", [f"preset={preset}"])
    job = OmegaConf.to_object(cfg)
    assert isinstance(job, DecomposeJob) and job.train.batch_size == batch


def test_paper_and_reference_differ_where_the_notes_say():
    paper = _compose("decompose", ["preset=paper"]).train.loss.mask
    ref = _compose("decompose", ["preset=reference"]).train.loss.mask
    assert (paper.initial, list(paper.at_fractions)) == (0.1, [0.1, 0.2])  # the seed's
    for preset in ("paper", "reference"):  # the seed's and the reference's lr, not ours
        assert _compose("decompose", [f"preset={preset}"]).train.lr == 5e-4
    assert _compose("decompose", ["preset=paper"]).train.max_object_clips == 0  # batch 32 always
    assert (ref.initial, list(ref.at_steps), list(ref.at_fractions)) == (1.0, [1000, 2000],
                                                                          [0.05, 0.1])


@pytest.mark.parametrize("preset, batch, lr", [("cpu", 4, 1e-3), ("paper", 128, 1e-3),
                                               ("tiny", 2, 1e-3)])
def test_pretrain_presets(preset, batch, lr):
    cfg = _compose("pretrain", [f"pretrain_preset={preset}"])
    job = OmegaConf.to_object(cfg)
    assert isinstance(job, PretrainJob)
    assert (job.train.batch_size, job.train.lr, job.train.loss.mask.initial) == (batch, lr, 1.0)


def test_experiment_file_composes():
    cfg = _compose("decompose", ["+experiment=boys_beach"])
    assert cfg.video.endswith("boys-beach") and cfg.train.steps == 600


@pytest.mark.parametrize("override", ["train.stepz=3", "model.heads=four", "preset=nope"])
def test_typos_fail_at_once(override):
    with pytest.raises(ConfigCompositionException):
        _compose("decompose", [override])


def test_pretraining_experiment_file_composes():
    cfg = _compose("pretrain", ["+experiment=pretrain_synthetic"])
    job = OmegaConf.to_object(cfg)
    assert job.data == "synthetic" and job.train.steps == 3000 and job.model.image_size == [64, 112]


def test_accelerator_pretraining_feeds_the_gpu_with_several_clips_per_scene():
    job = OmegaConf.to_object(_compose("pretrain", ["+experiment=pretrain_accelerator"]))
    assert job.device == "cuda" and job.init == "pretrained" and job.scene_size == [64, 112]
    assert job.train.clips_per_video > 1 and job.train.batch_size % job.train.clips_per_video == 0


def test_default_job_starts_from_the_pretrained_model_and_tiny_from_scratch():
    assert OmegaConf.to_object(_compose("decompose")).init == "pretrained"
    assert OmegaConf.to_object(_compose("decompose", ["preset=tiny"])).init == "scratch"


def test_one_tiny_model_for_presets_and_unit_tests():
    from conftest import tiny_model_config
    tiny = tiny_model_config()
    for name, preset in [("decompose", "preset=tiny"), ("pretrain", "pretrain_preset=tiny")]:
        model = _compose(name, [preset]).model
        assert list(model.encoder_channels) == tiny.encoder_channels == [8, 16, 32, 32]
        assert list(model.pos_dims) == tiny.pos_dims and sum(tiny.pos_dims) == 32


def _leaves(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_presets_hold_only_what_differs_from_the_dataclass_defaults():
    for group, schema in [("preset", DecomposeJob), ("pretrain_preset", PretrainJob)]:
        defaults = OmegaConf.structured(schema)
        for path in Path(CONF_DIR, group).glob("*.yaml"):
            values = OmegaConf.to_container(OmegaConf.load(path)) or {}
            values.pop("defaults", None)
            same = [key for key, value in _leaves(values)
                    if OmegaConf.select(defaults, key) == value]
            assert same == [], f"{path.name} restates defaults: {same}"


# omnigame's own decoding steps and plate: on by default, off in preset=reference
OWN_ADDITIONS = ["grow_shadow", "input.shadow_free_background", "edge_matte", "denoise_alpha",
                 "drop_specks", "hand_over", "drop_motion", "steady", "steady_owner",
                 "track_owner"]


def test_training_steps_in_float32_unless_bfloat16_is_asked_for():
    assert _compose("decompose", []).train.precision == "fp32"
    assert _compose("decompose", ["preset=reference"]).train.precision == "fp32"
    assert _compose("decompose", ["train.precision=auto"]).train.precision == "auto"


@pytest.mark.parametrize("key", OWN_ADDITIONS)
def test_decompose_has_our_additions_on_by_default_and_off_in_the_reference_preset(key):
    assert OmegaConf.select(_compose("decompose", []), key) is True
    assert OmegaConf.select(_compose("decompose", ["preset=reference"]), key) is False
