"""Maps of the linear O2 trend (µmol/kg per decade) at the product depths, streamed year by year.

Per cell, the same OLS as :mod:`oxygen_hpc.products.trends` (slope, its standard error, the two-sided 95 %
confidence interval with Student's t), from running sums over the years in which the cell has a value: n, Σx, Σx²,
Σy, Σxy, Σy² with x = year − first year (centred for accuracy). ``Sxx = Σx² − (Σx)²/n``, ``Sxy = Σxy − ΣxΣy/n``,
``Syy = Σy² − (Σy)²/n``; slope ``b = Sxy/Sxx``, residual sum of squares ``Syy − b·Sxy``, ``SE = sqrt(RSS/(n−2)/Sxx)``.
Cells with fewer than 3 years get NaN. Memory: six [levels, nlat, nlon] float64 arrays at the map depths only.

Output: ``o2_trend`` and ``o2_trend_se`` (depth, lat, lon) in products.nc (units ``umol kg-1 (10 year)-1``, a valid
UDUNITS string for "per decade") and one PNG per depth, ``maps/o2_trend_<depth>m.png`` (cmocean ``balance``,
symmetric about 0, land grey, dots where the 95 % interval excludes 0).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from scipy import stats

TREND_UNITS = "umol kg-1 (10 year)-1"


class TrendMaps:
    def __init__(self, depth: np.ndarray, lat: np.ndarray, lon: np.ndarray, map_depths: list[float]):
        self.levels = sorted({int(np.argmin(np.abs(depth - d))) for d in map_depths})
        self.depth, self.lat, self.lon = np.asarray(depth, float)[self.levels], np.asarray(lat), np.asarray(lon)
        shape = (len(self.levels), len(lat), len(lon))
        self.n, self.sx, self.sxx, self.sy, self.sxy, self.syy = (np.zeros(shape) for _ in range(6))
        self.x0: int | None = None
        self.years: list[int] = []

    def add(self, year: int, o2: np.ndarray, ocean: np.ndarray) -> None:
        """One year's O2 [nlev, nlat, nlon] (µmol/kg) and ocean mask."""
        if self.x0 is None:
            self.x0 = int(year)
        self.years.append(int(year))
        x = float(year - self.x0)
        y = o2[self.levels]
        ok = ocean[self.levels] & np.isfinite(y)
        y = np.where(ok, y, 0.0)
        self.n += ok
        self.sx += ok * x
        self.sxx += ok * x * x
        self.sy += y
        self.sxy += y * x
        self.syy += y * y

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(slope, SE, 95 % half-width), per decade, NaN where fewer than 3 years."""
        n = self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            sxx = self.sxx - self.sx ** 2 / n
            sxy = self.sxy - self.sx * self.sy / n
            syy = self.syy - self.sy ** 2 / n
            b = sxy / sxx
            rss = np.clip(syy - b * sxy, 0.0, None)
            se = np.sqrt(rss / (n - 2) / sxx)
            ok = (n >= 3) & (sxx > 0)
            tq = stats.t.ppf(0.975, np.where(ok, n - 2, 1))
        nan = np.nan
        return np.where(ok, 10 * b, nan), np.where(ok, 10 * se, nan), np.where(ok, 10 * se * tq, nan)

    def dataset(self) -> xr.Dataset:
        slope, se, _ = self.result()
        span = f"{min(self.years)}-{max(self.years)}" if self.years else "none"
        dims = ("depth", "lat", "lon")
        coords = {"depth": ("depth", self.depth, {"standard_name": "depth", "units": "m", "positive": "down",
                                                  "axis": "Z", "long_name": "depth of the mapped level"}),
                  "lat": ("lat", self.lat, {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"}),
                  "lon": ("lon", self.lon, {"standard_name": "longitude", "units": "degrees_east", "axis": "X"})}
        return xr.Dataset({
            "o2_trend": (dims, slope.astype(np.float32), {
                "long_name": f"linear trend of dissolved oxygen per decade (OLS over {span})", "units": TREND_UNITS}),
            "o2_trend_se": (dims, se.astype(np.float32), {
                "long_name": "standard error of o2_trend", "units": TREND_UNITS})}, coords=coords)

    def plot(self, folder: Path) -> list[Path]:
        from oxygen_hpc.products import plots

        slope, _, half = self.result()
        span = (min(self.years), max(self.years)) if self.years else (0, 0)
        paths = []
        for m, d in enumerate(self.depth):
            p = Path(folder) / f"o2_trend_{d:g}m.png"
            sig = np.isfinite(slope[m]) & (np.abs(slope[m]) > half[m])
            paths.append(plots.plot_trend_map(p, self.lat, self.lon, slope[m], sig, float(d), span))
        return paths
