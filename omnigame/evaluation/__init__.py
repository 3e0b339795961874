"""Scores and pictures of a decomposition.

metrics (effect IoU, association, PSNR/SSIM), warping (warping error along optical flow),
frechet (Frechet video distance from a given extractor), report (metrics.md, plots, contact
sheets), evaluate (the whole protocol), cli (omnigame-evaluate).
"""
from .evaluate import evaluate

__all__ = ["evaluate"]
