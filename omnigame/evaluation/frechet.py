"""Fréchet distance between feature distributions, and FVD with a user-supplied feature network.

FVD (Unterthiner et al. 2018) is the Fréchet distance between Gaussians fitted to I3D features of two
sets of videos. omnigame ships no I3D weights (they cannot be downloaded here), so the caller passes a
TorchScript feature extractor; without one, `frechet_video_distance` returns None and says why.

Extractor contract: called once per video with a (1, 3, T, H, W) float32 tensor in [-1, 1] (the I3D
convention), returns (1, D) or (D,) features.
"""
from __future__ import annotations

import logging
import warnings
from typing import Optional, Sequence, Tuple

import numpy as np
import scipy.linalg
import torch

logger = logging.getLogger(__name__)

NO_EXTRACTOR_NOTE = ("FVD not computed: it needs a video feature network (I3D) that omnigame does not "
                     "ship; pass a TorchScript extractor path to compute it.")


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    mu: (D,) means; sigma: (D, D) covariances.
    d = |mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)).
    A singular product gets eps on the diagonals; a matrix square root with tiny imaginary parts from
    round-off keeps its real part (larger imaginary parts raise). Tiny negative results are clipped to 0.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"frechet_distance: shapes differ, {mu1.shape}/{sigma1.shape} "
                         f"vs {mu2.shape}/{sigma2.shape}")
    covmean = _sqrtm_checked(sigma1 @ sigma2)
    if covmean is None:
        logger.info("frechet_distance: singular covariance product; adding %g to the diagonals", eps)
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(covmean.imag, 0, atol=1e-3 * max(1.0, np.abs(covmean).max())):
            raise ValueError("frechet_distance: matrix square root has a large imaginary part")
        covmean = covmean.real
    diff = mu1 - mu2
    d = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(max(d, 0.0))


def _sqrtm_checked(m: np.ndarray) -> Optional[np.ndarray]:
    """Matrix square root, or None when scipy finds m singular or returns non-finite values."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            root = scipy.linalg.sqrtm(m)
        except (scipy.linalg.LinAlgWarning, scipy.linalg.LinAlgError):
            return None
    return root if np.isfinite(root).all() else None


def gaussian_stats(features: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(M, D) features of M samples -> mean (D,) and covariance (D, D) (unbiased, M - 1)."""
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"gaussian_stats: need (M >= 2, D) features, got {features.shape}")
    return features.mean(0), np.atleast_2d(np.cov(features, rowvar=False))


def video_to_tensor(video: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (1, 3, T, H, W) float32 in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(video)).float() / 127.5 - 1.0
    return x.permute(3, 0, 1, 2).unsqueeze(0)


def _load_extractor(path: str):
    """A TorchScript file (torch.jit.save), or a torch.export program if the name ends in .pt2."""
    if path.endswith(".pt2"):
        return torch.export.load(path).module()
    with warnings.catch_warnings():  # torch >= 2.9 marks TorchScript deprecated; it still loads
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(path, map_location="cpu").eval()


@torch.no_grad()
def features_from_torchscript(path: str, videos: Sequence[np.ndarray]) -> np.ndarray:
    """Run a TorchScript feature extractor (see module docstring) on each video.

    path:   file saved with torch.jit.save (loaded on CPU, in eval mode), or a torch.export
            program saved with torch.export.save under a name ending in ".pt2".
    videos: sequence of (T, H, W, 3) uint8 videos.
    Returns (M, D) float64 features, one row per video.
    """
    model = _load_extractor(path)
    rows = [model(video_to_tensor(v)).reshape(-1).double().numpy() for v in videos]
    return np.stack(rows)


def frechet_video_distance(set_a: Sequence[np.ndarray], set_b: Sequence[np.ndarray],
                           extractor_path: Optional[str] = None) -> Optional[float]:
    """FVD between two sets of (T, H, W, 3) uint8 videos; None (logged) when no extractor is given.

    Each set needs at least 2 videos for a covariance; with few videos the estimate is very noisy
    (published FVD uses hundreds), so treat small-set values as a rough indication only.
    """
    if extractor_path is None:
        logger.info(NO_EXTRACTOR_NOTE)
        return None
    mu_a, sigma_a = gaussian_stats(features_from_torchscript(extractor_path, set_a))
    mu_b, sigma_b = gaussian_stats(features_from_torchscript(extractor_path, set_b))
    return frechet_distance(mu_a, sigma_a, mu_b, sigma_b)
