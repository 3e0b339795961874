"""Scores and pictures of a decomposition.

metrics (effect IoU, association, PSNR/SSIM), warping (warping error along optical flow),
frechet (Frechet video distance from a given extractor), report (plots and the markdown
table), evaluate (the whole protocol, writing its report with omnigame.io's file writers and
contact sheet), cli (omnigame-evaluate).
"""
from .evaluate import evaluate

__all__ = ["evaluate"]
