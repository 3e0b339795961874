"""omnigame: per-object RGBA layers with their effects, by coordination games.

Public API:
    decompose(video, masks=None, out_dir=None, **options) -> Layers
    load_result(out_dir) -> Layers
    evaluate(layers, video, gt_dir=None, out_dir=None) -> dict
    test_time_train(model, video, config, run_dir) -> TrainResult
    pretrain(videos, model_config, config, run_dir) -> (model, TrainResult)
"""
from .api import decompose, make_config, pretrain, test_time_train
from .config import (ClipConfig, DecomposeConfig, InputConfig, LossConfig, MaskScheduleConfig,
                     ModelConfig, TrainConfig)
from .evaluation.evaluate import evaluate
from .io.layers import Layers
from .model.network import OmnigameModel
from .pretrained import load_pretrained
from .io.readers import read_input
from .io.result_reader import load_result
from .io.video import InputError, Video

__version__ = "0.1.0"
__all__ = ["decompose", "load_result", "evaluate", "test_time_train", "pretrain", "load_pretrained",
           "make_config", "Layers", "Video", "InputError", "OmnigameModel", "read_input",
           "ModelConfig", "TrainConfig",
           "ClipConfig", "LossConfig", "MaskScheduleConfig", "InputConfig", "DecomposeConfig"]
