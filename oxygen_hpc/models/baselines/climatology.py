"""Climatology: mean observed DO per (level, latitude band) or per cell over all training years."""
from __future__ import annotations

import numpy as np
import pandas as pd

from oxygen_hpc.models.baselines.base import TableBaseline, labelled


class Climatology(TableBaseline):
    """Predict the training mean of the node's group, falling back to coarser groups where it has no data.

    ``by="level_band"``: groups (level, latitude band of ``lat_band_deg``) → fallback level → global mean.
    ``by="cell"``: groups cell → (level, band) → level → global mean.
    ``level`` defaults to the rounded depth if the table has no ``level`` column.

    Args:
        by (str): ``"level_band"`` or ``"cell"``.
        lat_band_deg (float): width of the latitude bands.
    """

    def __init__(self, by: str = "level_band", lat_band_deg: float = 10.0) -> None:
        if by not in ("level_band", "cell"):
            raise ValueError(f"by must be 'level_band' or 'cell', got {by!r}")
        self.by, self.lat_band_deg = by, lat_band_deg

    def _keys(self, table: pd.DataFrame) -> dict[str, pd.Series]:
        level = table["level"] if "level" in table else table["depth"].round()
        band = np.floor((table["lat"].to_numpy(dtype=float) + 90.0) / self.lat_band_deg).astype(np.int64)
        keys = {"level": level.astype(np.int64).to_numpy(),
                "level_band": level.astype(np.int64).to_numpy() * 1000 + band}
        if self.by == "cell":
            if "cell" not in table:
                raise ValueError("Climatology(by='cell') needs a 'cell' column")
            keys["cell"] = table["cell"].astype(np.int64).to_numpy()
        return keys

    def fit(self, train_table: pd.DataFrame) -> "Climatology":
        train = labelled(train_table)
        y = train["y"].to_numpy(dtype=float)
        self.global_mean = float(y.mean())
        self.means = {name: pd.Series(y).groupby(key).mean() for name, key in self._keys(train).items()}
        self.fitted = True
        return self

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        keys = self._keys(table)
        out = np.full(len(table), np.nan)
        order = (["cell"] if self.by == "cell" else []) + ["level_band", "level"]
        for name in order:
            todo = np.isnan(out)
            if not todo.any():
                break
            out[todo] = self.means[name].reindex(keys[name][todo]).to_numpy()
        out[np.isnan(out)] = self.global_mean
        return out
