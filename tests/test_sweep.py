"""Many videos at once: a Hydra sweep over two videos through the joblib launcher, each job
writing its own out_dir (the README's "Many videos" command, with tiny settings)."""
import json
import subprocess
import sys

import pytest

from omnigame.synthetic import SceneConfig, generate_scene, write_scene

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")


def test_two_video_sweep_through_the_joblib_launcher(tmp_path):
    small = SceneConfig(height=32, width=56, num_frames=13, max_objects=2)
    videos = [write_scene(generate_scene(small, seed=s), tmp_path / f"clip{s}") for s in (0, 1)]
    overrides = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                 "video=" + ",".join(str(v) for v in videos),
                 f"out_dir={tmp_path}/layers/${{hydra:job.num}}",
                 f"hydra.sweep.dir={tmp_path}/multirun", "preset=tiny", "train.steps=2",
                 "train.progress=false", "preview=false"]
    code = "from omnigame.cli import decompose_main; decompose_main()"
    proc = subprocess.run([sys.executable, "-c", code, *overrides], cwd=tmp_path, text=True,
                          capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Joblib.Parallel(n_jobs=2" in proc.stdout  # not the basic (serial) launcher
    for job, video in enumerate(videos):
        out = tmp_path / "layers" / str(job)
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["ttt_steps"] == 2
        assert str(video) in (out / "config.yaml").read_text()  # its own video, its own folder
