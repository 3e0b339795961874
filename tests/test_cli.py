"""The installed commands, run as a user would (through Hydra), on the built-in demo scene."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs several command lines in one Python process, each as its console script would (argv,
# Hydra, SystemExit), capturing each one's exit status, stdout and stderr. One interpreter that
# imports omnigame and Hydra once, instead of one per command line, saves ~3 s a command.
MANY = """
import contextlib, importlib, io, json, sys
results = []
for module, entry, args in json.loads(sys.argv[1]):
    task = getattr(importlib.import_module(module), entry)
    out, err, status = io.StringIO(), io.StringIO(), 0
    sys.argv = [entry] + args
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            task()
        except SystemExit as exit:
            status = exit.code or 0
    results.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""
DECOMPOSE, EVALUATE = ("omnigame.cli", "decompose_main"), ("omnigame.evaluation.cli", "main")


def _run(entry, *overrides):
    code = f"from omnigame.cli import {entry}; {entry}()"
    return subprocess.run([sys.executable, "-c", code, *overrides], cwd=ROOT, text=True,
                          capture_output=True, timeout=600)


def _run_many(calls: dict) -> dict:
    """{name: (module, entry, [args])} -> {name: (exit status, stdout, stderr)}."""
    plan = [[module, entry, list(args)] for module, entry, args in calls.values()]
    proc = subprocess.run([sys.executable, "-c", MANY, json.dumps(plan)], cwd=ROOT, text=True,
                          capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(zip(calls, map(tuple, json.loads(proc.stdout.splitlines()[-1]))))


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The command lines that end before any training, run in one process; and their folder."""
    tmp = tmp_path_factory.mktemp("cli")
    finished = tmp / "finished"
    finished.mkdir()
    (finished / "metrics.json").write_text("{}")
    hydra = f"hydra.run.dir={tmp / 'hydra'}"
    calls = {"help decompose": (*DECOMPOSE, ["--help"]),
             "help pretrain": ("omnigame.cli", "pretrain_main", ["--help"]),
             "help evaluate": (*EVALUATE, ["--help"]),
             "missing video": (*DECOMPOSE, [f"video={tmp / 'no_such_clip'}",
                                            f"out_dir={tmp / 'out'}", hydra]),
             "missing result": (*EVALUATE, [f"result={tmp / 'no_such_clip'}", hydra]),
             "finished result": (*DECOMPOSE, [f"video={tmp / 'no_such_clip'}",
                                              f"out_dir={finished}", hydra]),
             # last: a failed composition is the one exit that could leave Hydra's state behind
             "typo": (*DECOMPOSE, ["train.stepz=2", f"out_dir={tmp / 'x'}"])}
    return _run_many(calls), tmp


def test_decompose_command_on_the_built_in_scene(tmp_path):
    out = tmp_path / "demo"
    proc = _run("decompose_main", "preset=tiny", f"out_dir={out}", "train.steps=2",
                "train.progress=false", f"hydra.run.dir={tmp_path / 'hydra'}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["objects"] == 2 and metrics["frames"] == 24
    assert len(list((out / "layers").iterdir())) == 2
    assert (tmp_path / "demo_input" / "gt" / "layers").is_dir()  # the generated scene
    assert f"out_dir: {out}" in (out / "config.yaml").read_text()  # where it really went


def test_a_chosen_out_dir_leaves_no_outputs_folder_behind(tmp_path):
    code = "from omnigame.cli import decompose_main; decompose_main()"
    proc = subprocess.run([sys.executable, "-c", code, f"video={tmp_path / 'none'}",
                           f"out_dir={tmp_path / 'res'}"], cwd=tmp_path, text=True,
                          capture_output=True, timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert not (tmp_path / "outputs").exists()
    assert (tmp_path / "res" / ".hydra" / "config.yaml").exists()  # Hydra's records, inside


def test_a_finished_result_is_refused_in_one_line(quick):
    runs, tmp = quick
    status, _, err = runs["finished result"]
    assert status == 2 and err.strip().splitlines() == [
        f"omnigame-decompose: error: {tmp / 'finished'} already holds a finished result "
        f"(metrics.json); choose another out_dir, or pass overwrite=True (overwrite=true on "
        f"the command line)"]


def test_typo_on_the_command_line_fails_before_any_work(quick):
    runs, tmp = quick
    status, _, err = runs["typo"]
    assert status != 0 and "stepz" in err
    assert not (tmp / "x").exists()


def test_input_errors_are_one_line_without_a_traceback(quick):
    runs, tmp = quick
    missing = tmp / "no_such_clip"
    status, _, err = runs["missing video"]
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"omnigame-decompose: error: {missing}: no such file or folder; give an Omnimatte "
        f"folder, a frames folder or a video file"]
    status, _, err = runs["missing result"]
    assert status == 2 and "Traceback" not in err
    assert err.strip().startswith(f"omnigame-evaluate: error: result={missing}: no such")


def test_each_command_has_its_own_help(quick):
    runs, _ = quick
    for command in ("decompose", "pretrain", "evaluate"):
        status, out, err = runs[f"help {command}"]
        name = f"omnigame-{command}"
        assert status == 0, err[-2000:]
        assert out.startswith(f"{name}: ") and "Examples:" in out
        assert f"  {name} " in out and "powered by Hydra" not in out
