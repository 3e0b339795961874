#!/usr/bin/env bash
# Pretrain on one GPU for SECONDS (default 480) and export the weights, resumable:
#   bash experiments/pretrain/accelerator.sh OUT_FOLDER [SECONDS] [key=value ...]
# Re-running it continues from runs/pretrain_accelerator/checkpoint.pt (every 250 steps).
# OUT_FOLDER receives the log, GPU utilisation samples, the TensorBoard events and
# weights.pt (fp16, what would ship as omnigame/pretrained/omnigame_synthetic.pt).
set -u
usage="usage: accelerator.sh OUT_FOLDER [SECONDS] [key=value ...]"
out=${1:?$usage}; secs=${2:-480}
case $secs in *[!0-9]*|"") echo "SECONDS must be a whole number, got '$secs'; $usage" >&2; exit 2;; esac
shift; [ $# -gt 0 ] && shift
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$(dirname "$0")/../.."  # the repository root: out_dir runs/pretrain_accelerator is relative
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader -l 20 \
  > "$out/gpu_util.csv" 2>&1 &
smi=$!
PYTHONUNBUFFERED=1 timeout -s INT "$secs" python3 -c \
  "import sys; from omnigame.cli import pretrain_main; sys.argv[0]='omnigame-pretrain'; pretrain_main()" \
  +experiment=pretrain_accelerator "$@" > "$out/pretrain.log" 2>&1
echo "pretrain exit $?"
kill $smi
grep -v "omnigame.data.background" "$out/pretrain.log" | tr '\r' '\n' | grep -E "step|Error|error" | tail -4
python3 - "$out" <<'PY'
import shutil, sys, torch
from pathlib import Path
from omnigame.pretrained import export_weights
run, out = Path("runs/pretrain_accelerator"), Path(sys.argv[1])
state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
print("checkpoint step", state["step"], "seconds", round(state.get("seconds", 0)))
export_weights(run / "checkpoint.pt", out / "weights.pt")
for i, f in enumerate(sorted((run / "tensorboard").rglob("events.*"))):
    shutil.copy(f, out / f"events_{i}")
PY
