"""A numerical-model baseline: O2 read from a model run on the grid, no observations used (the paper's CMIP6
comparison). On the OSSE the run is synth's ``model_run.nc`` (its own variability, biased OMZs and trends)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from oxygen_hpc.models.baselines.base import TableBaseline


def _years(var) -> np.ndarray:
    import netCDF4

    dates = netCDF4.num2date(var[:], var.units, getattr(var, "calendar", "standard"))
    return np.array([d.year for d in np.atleast_1d(dates)], np.int64)


def _index(have: np.ndarray, want: np.ndarray, name: str, path: Path) -> np.ndarray:
    """Position of each wanted coordinate among the file's (cell centres: must match to 1e-4)."""
    order = np.argsort(have)
    pos = np.clip(np.searchsorted(have[order], want), 1, len(have) - 1)
    left, right = order[pos - 1], order[pos]
    idx = np.where(np.abs(have[left] - want) <= np.abs(have[right] - want), left, right)
    bad = np.abs(have[idx] - want) > 1e-4
    if bad.any():
        raise ValueError(f"{path}: {int(bad.sum())} {name} values of the table are not cell centres of the model "
                         f"grid (e.g. {want[bad][0]}); the model run must be on the partitions' grid")
    return idx


class NumericalModel(TableBaseline):
    """ŷ = the model run's ``variable`` at the node's (year, depth, lat, lon) cell.

    ``fit`` uses no observation (the training table is only checked to be a table); ``predict`` opens the
    CF-NetCDF run (dims ``time, depth, lat, lon``, one step per year, cell centres equal to the table's
    ``lat``/``lon``/``depth``) and reads one year at a time.

    Args:
        path (str): the model run (e.g. ``WORLD/model_run.nc``).
        variable (str): the O2 variable (µmol/kg).
    """

    def __init__(self, path: str | Path, variable: str = "o2") -> None:
        self.path, self.variable = Path(path), variable

    def fit(self, train_table: pd.DataFrame) -> "NumericalModel":
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no model run (synth writes WORLD/model_run.nc with "
                                    "model_run.enabled: true)")
        self.fitted = True
        return self

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        import netCDF4

        self._check_fitted()
        out = np.full(len(table), np.nan)
        year = table["year"].to_numpy(np.int64)
        with netCDF4.Dataset(self.path) as ds:
            idx = {}
            for name in ("lat", "lon", "depth"):
                idx[name] = _index(np.asarray(ds[name][:], float), table[name].to_numpy(float), name, self.path)
            years = _years(ds["time"])
            pos = {int(y): n for n, y in enumerate(years)}
            var = ds[self.variable]
            var.set_auto_mask(False)
            for y in np.unique(year):
                if int(y) not in pos:
                    raise ValueError(f"{self.path}: no year {int(y)} (has {years[0]}-{years[-1]})")
                sel = year == y
                block = np.asarray(var[pos[int(y)]], np.float64)
                out[sel] = block[idx["depth"][sel], idx["lat"][sel], idx["lon"][sel]]
        if np.isnan(out).any():
            raise ValueError(f"{self.path}: no model value at {int(np.isnan(out).sum())} nodes (land in the model)")
        return out
