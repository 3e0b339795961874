"""The benchmark: FLOP counting, one measurement in its own process, and a --quick run."""
import json
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments" / "benchmark"))
from harness import count_flops, measure_in_subprocess  # noqa: E402


def test_count_flops_includes_cpu_attention():
    B, heads, Nq, Nk, d = 2, 4, 10, 12, 8
    q, k, v = (torch.randn(B, heads, n, d) for n in (Nq, Nk, Nk))
    flops = count_flops(lambda: F.scaled_dot_product_attention(q, k, v))
    assert flops == 4 * B * heads * Nq * Nk * d  # q k^T and the weighted sum of v
    x, w = torch.randn(3, 5), torch.randn(5, 7)
    assert count_flops(lambda: x @ w) == 2 * 3 * 5 * 7


def test_training_step_in_its_own_process():
    r = measure_in_subprocess(dict(kind="train", device="cpu", height=32, width=48, objects=2,
                                   length=4, batch=1, steps=1, tiny=True, matmul_n=128,
                                   threads=1))
    assert r["seconds"] > 0 and r["gflop"] > 0 and r["matmul_gflops"] > 0
    assert r["peak_mib"] >= r["base_mib"] > 0
    assert r["threads"] == 1


def test_quick_benchmark_writes_results(tmp_path):
    subprocess.run([sys.executable, "experiments/benchmark/run.py", "--quick", "--in-process",
                    "--threads", "1", "--out", str(tmp_path)], cwd=ROOT, check=True, timeout=600)
    doc = json.loads((tmp_path / "results.json").read_text())
    assert {"command", "plan", "devices", "summary", "loadavg"} <= set(doc)
    assert doc["wall_seconds"] > 0
    cpu = doc["devices"]["cpu"]
    assert not [m for m in cpu["measurements"] if "error" in m["result"]]
    assert cpu["machine"]["logical_cores"] >= 1 and cpu["matmul_peak"]["before"]["gflops"] > 0
    h = doc["summary"]["cpu"]
    for step in (h["ttt_step"], h["pretrain_step"]):
        assert step["seconds"] > 0 and step["gflop"] > 0 and step["peak_mib"] > 0
        assert 0 < step["fraction_of_peak"] < 1.5
    assert h["inference"]["fps"] > 0 and h["inference"]["peak_mib"] > 0
    g = h["growth"]
    assert [r["frames"] for r in g["frames"]] == [16, 32]
    assert [r["objects"] for r in g["objects"]] == [1, 2]
    assert g["decompose"][0]["layers_mib"] > 0
    for name in ("results.md", "sweep_cpu.png", "growth_cpu.png"):
        assert (tmp_path / name).exists(), name
    assert "Training step, one factor at a time" in (tmp_path / "results.md").read_text()
