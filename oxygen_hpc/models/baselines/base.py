"""Non-neural baselines: the per-node table contract and shared helpers.

A *table* is a ``pandas.DataFrame`` with one row per node (a (cell, year)):

* ``lat``, ``lon`` (degrees), ``depth`` (m, positive down), ``year`` — position in (lat, lon, depth, year);
* ``level`` (int, depth level) and ``cell`` (int) — optional, used by :class:`Climatology`;
* covariate columns (normalised features, e.g. the partition's ``x`` under its manifest ``feature_names``);
* ``y`` — observed DO, µmol/kg (NaN = none). ``fit`` uses the rows with finite ``y``; ``predict`` ignores ``y``.

Every baseline has ``fit(train_table) -> self`` and ``predict(table) -> np.ndarray [n]`` (µmol/kg), so the
evaluation harness scores them with the same metrics as the neural models. numpy / scikit-learn only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0
POSITION_COLUMNS = ("lat", "lon", "depth", "year")


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a finite ``y``; raises if there are none."""
    if "y" not in table:
        raise ValueError("training table needs a 'y' column (µmol/kg, NaN = none)")
    out = table[np.isfinite(table["y"].to_numpy(dtype=float))]
    if out.empty:
        raise ValueError("training table has no finite 'y'")
    return out


def scaled_coordinates(table: pd.DataFrame, length_km: float, depth_scale_m: float,
                       year_scale: float) -> np.ndarray:
    """(lat, lon, depth, year) → 5-D Euclidean coordinates in units of the correlation scales.

    Horizontal position is the 3-D point on the sphere (chord distance ≈ great-circle distance at the scales of
    interest, and no trouble at the date line or the poles) divided by ``length_km``; depth by
    ``depth_scale_m``; year by ``year_scale``. Unit distance = one correlation length in every direction.
    """
    missing = [c for c in POSITION_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"table lacks position columns {missing}")
    lat = np.radians(table["lat"].to_numpy(dtype=float))
    lon = np.radians(table["lon"].to_numpy(dtype=float))
    r = EARTH_RADIUS_KM / float(length_km)
    return np.column_stack([
        r * np.cos(lat) * np.cos(lon), r * np.cos(lat) * np.sin(lon), r * np.sin(lat),
        table["depth"].to_numpy(dtype=float) / float(depth_scale_m),
        table["year"].to_numpy(dtype=float) / float(year_scale),
    ])


class TableBaseline:
    """Base: ``fit(train_table) -> self``, ``predict(table) -> [n]`` µmol/kg."""

    fitted = False

    def fit(self, train_table: pd.DataFrame) -> "TableBaseline":
        raise NotImplementedError

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError(f"{type(self).__name__}.predict called before fit")
