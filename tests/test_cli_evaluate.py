"""omnigame-evaluate on a tiny real decomposition: load_layers, the report, the Hydra command."""
import json
import sys

import numpy as np
import pytest

from conftest import disc_video, tiny_model_config
from omnigame import decompose
from omnigame.evaluation.cli import evaluate_result, main
from omnigame.config import DecomposeConfig, InputConfig, TrainConfig
from omnigame.io.files import write_frames, write_png
from omnigame.io.result_reader import load_layers

REPORT = ["metrics.json", "metrics.md", "psnr_per_frame.png", "contact_sheet.png", "error_map.png"]


def write_scene(root, video):
    """The Omnimatte layout (rgb/, mask/NN/) plus ground truth (gt/layers, gt/bg.png)."""
    names = [f"{t:05d}" for t in range(video.num_frames)]
    write_frames(root / "rgb", video.frames, names)
    for k, masks in enumerate(video.masks):
        rgba = np.concatenate([video.frames, masks[..., None] * np.uint8(255)], -1) * masks[..., None]
        write_frames(root / f"mask/{k + 1:02d}", masks * np.uint8(255), names)
        write_frames(root / f"gt/layers/{k + 1:02d}", rgba, names)
    write_png(root / "gt" / "bg.png", video.background)


@pytest.fixture(scope="module")
def decomposed(tmp_path_factory):
    """(scene folder, result folder, in-memory Layers) of a 5-step tiny decomposition."""
    root = tmp_path_factory.mktemp("evaluate")
    write_scene(root / "scene", disc_video())
    config = DecomposeConfig(model=tiny_model_config(), init="scratch",
                             input=InputConfig(size=[32, 48]), preview=False,
                             train=TrainConfig(steps=5, batch_size=2, progress=False))
    layers = decompose(root / "scene", out_dir=root / "result", config=config)
    return root / "scene", root / "result", layers


def test_load_layers_gives_back_what_decompose_wrote(decomposed):
    _, result, layers = decomposed
    loaded = load_layers(result, order=layers.order)
    assert loaded.object_names == layers.object_names
    for name in ("rgba", "background", "reconstruction", "order"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(layers, name))
    assert loaded.metrics["frames"] == 16


def test_load_layers_refuses_an_unfinished_result(decomposed, tmp_path):
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        load_layers(tmp_path)


def test_evaluate_result_writes_report_and_never_overwrites(decomposed, tmp_path):
    scene, result, _ = decomposed
    out = tmp_path / "eval"
    metrics = evaluate_result(result, video=scene, out_dir=out)
    for name in REPORT:
        assert (out / name).exists(), name
    assert json.loads((out / "metrics.json").read_text())["reconstruction"]["psnr"] > 5
    assert "effect_iou" in metrics["ground_truth"]  # gt_dir='auto' found scene/gt
    with pytest.raises(FileExistsError, match="overwrite"):
        evaluate_result(result, video=scene, out_dir=out)
    evaluate_result(result, video=scene, out_dir=out, gt_dir=None, overwrite=True)
    assert "ground_truth" not in json.loads((out / "metrics.json").read_text())


def test_hydra_command(decomposed, tmp_path, monkeypatch, capsys):
    scene, result, _ = decomposed
    out = tmp_path / "cli_eval"
    monkeypatch.setattr(sys, "argv", ["omnigame-evaluate", f"result={result}", f"video={scene}",
                                      f"out_dir={out}", f"hydra.run.dir={tmp_path / 'hydra'}"])
    main()
    assert (out / "metrics.md").exists()
    printed = capsys.readouterr().out  # Hydra's log lines, then the summary as JSON
    assert "psnr" in json.loads(printed[printed.rindex("{"):])


def test_hydra_command_rejects_a_misspelt_key(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["omnigame-evaluate", "result=x", "gt_dri=y",
                                      f"hydra.run.dir={tmp_path}"])
    with pytest.raises(SystemExit):
        main()
