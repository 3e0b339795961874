"""Wall time of the default `decompose` on dev scenes, as a user gets it: torch's default
threads, the clean plate not given (estimated from the frames). Run it on an idle machine.

    python experiments/dev_benchmark/timing.py 00_shadow_1_boy_on_kitesand 11_both_3_beach
"""
import argparse
import time

import torch

import omnigame
from omnigame.io.readers import read_input

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("scenes", nargs="+")
    p.add_argument("--root", default="/work/data/dev_benchmark", help="built dev benchmark")
    args = p.parse_args()
    print("torch threads", torch.get_num_threads(), flush=True)
    for scene in args.scenes:
        video = read_input(f"{args.root}/{scene}")
        video.background = None  # as for a user's video: the plate is estimated
        start = time.perf_counter()
        metrics = omnigame.decompose(video, progress=False).metrics
        print(f"{scene}: {video.num_objects} objects, wall {time.perf_counter() - start:.1f} s, "
              f"test-time training {metrics['ttt_seconds']:.1f} s "
              f"(batch {metrics['ttt_batch_size']}), inference {metrics['inference_seconds']:.1f} s",
              flush=True)
