"""Objective mapping (optimal interpolation) in scaled (lat, lon, depth, year) space."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from oxygen_hpc.models.baselines.base import TableBaseline, labelled, scaled_coordinates


class ObjectiveMapping(TableBaseline):
    r"""Local optimal interpolation (Gauss–Markov / simple kriging) of anomalies from a background.

    Background: the mean of the training ``y`` per depth level bin (``background="depth"``: ``depth_bins``
    quantile bins of depth) or the global mean (``"global"``). Anomaly covariance
    :math:`C(d) = σ_s^2 \exp(-d^2/2)` with d in correlation-scale units; observation noise
    :math:`σ_n^2 = \text{noise\_ratio}·σ_s^2`, σ_s² = variance of the training anomalies. For each query the k
    nearest observations give :math:`\hat a = c^\top (C + σ_n^2 I)^{-1} a`, solved for all queries at once
    (batched k×k systems).

    Args:
        k (int): observations per query.
        length_km (float), depth_scale_m (float), year_scale (float): correlation scales.
        noise_ratio (float): σ_n² / σ_s².
        background (str): ``"depth"`` or ``"global"``.
        depth_bins (int): number of depth bins of the background.
    """

    def __init__(self, k: int = 24, length_km: float = 500.0, depth_scale_m: float = 150.0, year_scale: float = 3.0,
                 noise_ratio: float = 0.1, background: str = "depth", depth_bins: int = 12) -> None:
        if background not in ("depth", "global"):
            raise ValueError(f"background must be 'depth' or 'global', got {background!r}")
        self.k, self.noise_ratio, self.background, self.depth_bins = k, noise_ratio, background, depth_bins
        self.scales = (length_km, depth_scale_m, year_scale)

    def _background(self, depth: np.ndarray) -> np.ndarray:
        if self.background == "global":
            return np.full(depth.shape, self.global_mean)
        b = np.clip(np.searchsorted(self.edges, depth, side="right") - 1, 0, len(self.bin_means) - 1)
        return self.bin_means[b]

    def fit(self, train_table: pd.DataFrame) -> "ObjectiveMapping":
        train = labelled(train_table)
        y = train["y"].to_numpy(dtype=float)
        depth = train["depth"].to_numpy(dtype=float)
        self.global_mean = float(y.mean())
        self.edges = np.unique(np.quantile(depth, np.linspace(0, 1, self.depth_bins + 1)))
        self.edges[0] = -np.inf
        b = np.clip(np.searchsorted(self.edges, depth, side="right") - 1, 0, max(len(self.edges) - 2, 0))
        nb = max(len(self.edges) - 1, 1)
        sums = np.bincount(b, weights=y, minlength=nb)
        counts = np.bincount(b, minlength=nb)
        self.bin_means = np.where(counts > 0, sums / np.maximum(counts, 1), self.global_mean)
        self.points = scaled_coordinates(train, *self.scales)
        self.anomaly = y - self._background(depth)
        self.signal_var = float(max(self.anomaly.var(), 1e-12))
        self.tree = KDTree(self.points)
        self.fitted = True
        return self

    def predict(self, table: pd.DataFrame, chunk: int = 20_000) -> np.ndarray:
        self._check_fitted()
        q = scaled_coordinates(table, *self.scales)
        k = min(self.k, len(self.anomaly))
        out = np.empty(len(q))
        for s in range(0, len(q), chunk):
            qs = q[s: s + chunk]
            _, idx = self.tree.query(qs, k=k)
            p = self.points[idx]                                            # [n, k, 5]
            d2_oo = ((p[:, :, None, :] - p[:, None, :, :]) ** 2).sum(-1)    # [n, k, k]
            d2_qo = ((p - qs[:, None, :]) ** 2).sum(-1)                     # [n, k]
            cov = np.exp(-0.5 * d2_oo) + self.noise_ratio * np.eye(k)
            weights = np.linalg.solve(cov, np.exp(-0.5 * d2_qo)[..., None])[..., 0]
            out[s: s + chunk] = (weights * self.anomaly[idx]).sum(1)
        return out + self._background(table["depth"].to_numpy(dtype=float))
