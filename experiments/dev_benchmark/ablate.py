"""Where association is lost with each decoding step switched off, from a run's kept model output.

    python experiments/dev_benchmark/ablate.py RUN [--prefix dev/]

For every scene of a `score.py` run (its `layers/raw__*.pt`), the layers are rebuilt as
`rescore.py` does: with the defaults, with each of `grow_shadow`, `fit_alpha`, `edge_matte`,
`sharpen` off, and with all of them and detail transfer off (the model's own layers). Prints
the mean per-object association and its losses (`association.py`'s shares) for each.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from association import PARTS, losses  # noqa: E402
from omnigame.evaluation.metrics import association_accuracy  # noqa: E402
from rescore import rebuild  # noqa: E402

STEPS = ("grow_shadow", "fit_alpha", "edge_matte", "sharpen")
VARIANTS = {"the defaults": {}, **{f"no {s}": {s: False} for s in STEPS},
            "none (the model's own layers)": {**{s: False for s in STEPS}, "detail": False}}


def object_rows(run: Path, key: str, folder: str, overrides: dict):
    """(association, *shares) per object with an effect, of one scene rebuilt."""
    raw = run / "layers" / f"raw__{key.replace('/', '__')}.pt"
    video, gt, layers = rebuild(raw, folder, overrides)
    ours, true = layers.rgba[..., 3] / 255.0, gt.layers[..., 3] / 255.0
    scores = association_accuracy(ours, true, video.masks)["per_object"]
    for k, score in enumerate(scores):
        shares = losses(ours, true, video.masks, video.order, k)
        if shares is not None:
            yield [score, *shares]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run", help="a score.py --out folder whose layers/ holds raw__*.pt")
    p.add_argument("--prefix", default="dev/", help="scenes whose key starts so (dev/, synth/)")
    args = p.parse_args()
    run = Path(args.run)
    scenes = json.loads((run / "results.json").read_text())["scenes"]
    print("| decoding | association | " + " | ".join(PARTS) + " |\n|---|---|"
          + "---|" * len(PARTS))
    for name, overrides in VARIANTS.items():
        rows = [r for key, row in scenes.items() if key.startswith(args.prefix)
                for r in object_rows(run, key, row["folder"], overrides)]
        mean = np.mean(rows, axis=0)
        print(f"| {name} | " + " | ".join(f"{m:.3f}" for m in mean) + " |", flush=True)


if __name__ == "__main__":
    main()
