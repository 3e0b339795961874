"""Where the model works on a video: the frames as they are, or one stabilised canvas.

With a static camera the model sees the input's frames and its layers are upsampled back to
them. With a moving camera (seed 001 section 4: the background is one static plate, so the
video must first be stabilised) the model sees the frames warped onto a canvas covering the
whole camera path, the background is the median of valid unmasked canvas pixels (a panorama),
and its layers are warped back into each original frame, premultiplied.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from ..io.video import Video
from .canvas import Canvas, background_in_frames, make_canvas, model_canvas_size, stabilise, to_frames
from .choice import choose_camera
from .estimate import CameraPath


@dataclass
class CanvasToFrames:
    """Canvas images (n, C, h, w) of frames `frames` -> those frames (a picklable callable, so a
    run's model output can be kept with how it reaches the frames)."""

    canvas: Canvas

    def __call__(self, images, frames: range):
        return to_frames(images, self.canvas, frames)


@dataclass
class Workspace:
    """video: what the model sees (the input itself, or its canvas with `valid`); camera and
    canvas: None for a static camera."""

    video: Video
    camera: Optional[CameraPath] = None
    canvas: Optional[Canvas] = None

    def model_size(self, frame_model_size) -> Tuple[int, int]:
        """The model's (H, W) here, given the size a single frame would get."""
        if self.canvas is None:
            return tuple(frame_model_size)
        return model_canvas_size(frame_model_size, self.canvas.frame_size, self.canvas)

    def to_frames(self) -> Optional[Callable]:
        """Model-size images (n, C, h, w) of frames `frames` -> the input frames; None: upsample."""
        if self.canvas is None:
            return None
        return CanvasToFrames(self.canvas)

    def frame_background(self, background: np.ndarray) -> np.ndarray:
        """The background the model used, as each input frame sees it."""
        if self.canvas is None:
            return background
        return background_in_frames(background, self.canvas)

    def metrics(self) -> dict:
        if self.camera is None:
            return {"camera": "static"}
        residual = self.camera.residual[np.isfinite(self.camera.residual)]
        return {"camera": self.camera.source, "camera_motion_px": round(self.camera.motion_px(), 2),
                "camera_residual_grey_levels": round(float(np.median(residual)), 2)
                if len(residual) else None,
                "canvas_size": list(self.canvas.size)}


def workspace(video: Video, camera_setting: str = "auto", progress: bool = True) -> Workspace:
    """The Workspace for `video` under the `input.camera` setting (see camera.choice)."""
    camera = choose_camera(video, camera_setting, progress)
    if camera is None:
        return Workspace(video)
    canvas = make_canvas(camera)
    return Workspace(stabilise(video, canvas), camera, canvas)
