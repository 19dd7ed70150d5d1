"""Truth values per node (cell, year) from the OSSE's ``truth.nc`` (dims ``time, depth, lat, lon``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from oxygen_contracts.grid import GridSpec


def _years(var) -> np.ndarray:
    import netCDF4

    dates = netCDF4.num2date(var[:], var.units, getattr(var, "calendar", "standard"))
    return np.array([d.year for d in np.atleast_1d(dates)], np.int64)


def truth_values(path: str | Path, grid: GridSpec, cell, year, variable: str = "o2") -> np.ndarray:
    """``variable`` (default ``o2``, µmol/kg) at each node (``cell`` ids of ``grid``, ``year``); NaN where the truth
    has none. Checks that the file's lat/lon/depth are the grid's cell centres and levels."""
    import netCDF4

    cell = np.asarray(cell, np.int64).ravel()
    year = np.asarray(year, np.int64).ravel()
    if cell.shape != year.shape:
        raise ValueError(f"cell {cell.shape} and year {year.shape} differ")
    k, j, i = grid.unravel(cell)
    out = np.full(cell.shape, np.nan, np.float64)
    with netCDF4.Dataset(path) as ds:
        for name, want in (("lat", grid.lat), ("lon", grid.lon), ("depth", grid.depth)):
            have = np.asarray(ds[name][:], float)
            if have.shape != want.shape or not np.allclose(have, want, atol=1e-6):
                raise ValueError(f"{path}: {name} does not match the partitions' grid")
        years = _years(ds["time"])
        pos = {int(y): n for n, y in enumerate(years)}
        var = ds[variable]
        var.set_auto_mask(False)
        for y in np.unique(year):
            if int(y) not in pos:
                raise ValueError(f"{path}: no year {int(y)} (has {years[0]}–{years[-1]})")
            sel = year == y
            block = np.asarray(var[pos[int(y)]], np.float64)          # [depth, lat, lon]
            out[sel] = block[k[sel], j[sel], i[sel]]
    return out
