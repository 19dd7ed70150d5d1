"""Inverse-distance weighting in scaled (lat, lon, depth, year) space."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from oxygen_hpc.models.baselines.base import TableBaseline, labelled, scaled_coordinates


class InverseDistanceWeighting(TableBaseline):
    """ŷ(q) = Σ_k w_k y_k / Σ_k w_k over the k nearest observations, w_k = 1 / (d_k + ε)^p, with d in units of
    the correlation scales (see :func:`~oxygen_hpc.models.baselines.base.scaled_coordinates`).

    Args:
        k (int): neighbours per query.
        power (float): exponent p.
        length_km (float), depth_scale_m (float), year_scale (float): scales that make distances comparable.
        eps (float): softening, so a query on an observation does not divide by zero.
    """

    def __init__(self, k: int = 16, power: float = 2.0, length_km: float = 300.0, depth_scale_m: float = 100.0,
                 year_scale: float = 2.0, eps: float = 1e-6) -> None:
        self.k, self.power, self.eps = k, power, eps
        self.scales = (length_km, depth_scale_m, year_scale)

    def fit(self, train_table: pd.DataFrame) -> "InverseDistanceWeighting":
        train = labelled(train_table)
        self.tree = KDTree(scaled_coordinates(train, *self.scales))
        self.values = train["y"].to_numpy(dtype=float)
        self.fitted = True
        return self

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        k = min(self.k, len(self.values))
        dist, idx = self.tree.query(scaled_coordinates(table, *self.scales), k=k)
        w = 1.0 / (dist + self.eps) ** self.power
        return (w * self.values[idx]).sum(1) / w.sum(1)
