"""The installed commands, run as a user would (through Hydra), on the built-in demo scene."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(entry, *overrides):
    code = f"from omnigame.cli import {entry}; {entry}()"
    return subprocess.run([sys.executable, "-c", code, *overrides], cwd=ROOT, text=True,
                          capture_output=True, timeout=600)


def test_decompose_command_on_the_built_in_scene(tmp_path):
    out = tmp_path / "demo"
    proc = _run("decompose_main", "preset=tiny", f"out_dir={out}", "train.steps=2",
                "train.progress=false")
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["objects"] == 2 and metrics["frames"] == 24
    assert len(list((out / "layers").iterdir())) == 2
    assert (tmp_path / "demo_input" / "gt" / "layers").is_dir()  # the generated scene
    again = _run("decompose_main", "preset=tiny", f"out_dir={out}", "train.steps=2")
    assert again.returncode != 0 and "already holds a finished result" in again.stderr


def test_typo_on_the_command_line_fails_before_any_work(tmp_path):
    proc = _run("decompose_main", "train.stepz=2", f"out_dir={tmp_path / 'x'}")
    assert proc.returncode != 0 and "stepz" in proc.stderr
    assert not (tmp_path / "x").exists()


def _run_script(module, entry, *overrides):
    code = f"from {module} import {entry}; {entry}()"
    return subprocess.run([sys.executable, "-c", code, *overrides], cwd=ROOT, text=True,
                          capture_output=True, timeout=600)


def test_input_errors_are_one_line_without_a_traceback(tmp_path):
    missing = tmp_path / "no_such_clip"
    proc = _run("decompose_main", f"video={missing}", f"out_dir={tmp_path / 'out'}",
                f"hydra.run.dir={tmp_path / 'hydra'}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"omnigame-decompose: error: {missing}: no such file or folder; give an Omnimatte "
        f"folder, a frames folder or a video file"]
    proc = _run_script("omnigame.evaluation.cli", "main", f"result={missing}",
                       f"hydra.run.dir={tmp_path / 'hydra'}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith(f"omnigame-evaluate: error: result={missing}: no such")


def test_each_command_has_its_own_help():
    for module, entry, name in [("omnigame.cli", "decompose_main", "omnigame-decompose"),
                                ("omnigame.cli", "pretrain_main", "omnigame-pretrain"),
                                ("omnigame.evaluation.cli", "main", "omnigame-evaluate")]:
        proc = _run_script(module, entry, "--help")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.startswith(f"{name}: ") and "Examples:" in proc.stdout
        assert f"  {name} " in proc.stdout and "powered by Hydra" not in proc.stdout
