"""Which camera a decomposition assumes: the `input.camera` setting turned into a CameraPath."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import numpy as np

from ..io.video import InputError, Video
from .estimate import CameraPath, estimate_camera
from ..io.homographies import read_homographies

log = logging.getLogger(__name__)

STILL_PX = 1.0  # a camera moving less than this (RMS pixels) is treated as static
CHOICES = ("auto", "estimate", "static")


def choose_camera(video: Video, setting: str = "auto",
                  progress: bool = True) -> Optional[CameraPath]:
    """The camera path to stabilise with, or None for a static camera.

    setting: 'auto' (the input folder's homographies.txt, else estimated, and static below
    STILL_PX of motion), 'estimate' (always estimated and used), 'static', or a file path.
    """
    if setting == "static":
        return None
    if setting not in CHOICES:
        if not Path(setting).expanduser().is_file():
            raise InputError(f"input.camera='{setting}': no such file; use auto, estimate, "
                             f"static or the path of an Omnimatte homographies.txt")
        return user_camera(setting, video)
    beside = Path(video.source) / "homographies.txt"
    if setting == "auto" and beside.is_file():
        log.info("camera: reading %s", beside)
        return user_camera(beside, video)
    if video.valid is not None and setting == "auto":
        log.info("camera: the video comes with valid_mask/ (already stabilised): static")
        return None
    camera = estimate_camera(video.frames, video.masks, progress=progress)
    if setting == "auto" and camera.motion_px() < STILL_PX:
        log.info("camera: moves %.2f px at most: treated as static", camera.motion_px())
        return None
    return camera


def user_camera(path, video: Video) -> CameraPath:
    """A homographies.txt as a CameraPath in pixels of the video's frames."""
    homographies, size = read_homographies(path, video.num_frames)
    camera = CameraPath(homographies, size, np.full(video.num_frames, np.nan), str(path))
    return camera.resized(video.size)
