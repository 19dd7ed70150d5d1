"""Covariates (grid, static ocean mask, statistics) and per-node features.

``x`` = (T, S) normalised by the covariates file's own mean/std over ocean cells and all years, then static
features: sin/cos lat, sin/cos lon, depth / deepest level, bottom depth / deepest level, scaled year (−1 … 1 over
the file's years). ``meta`` (hypernetwork inputs) = sin/cos lat, sin/cos lon, depth / deepest level, one-hot zone.
Observed values never enter these statistics.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oxygen_contracts.grid import GridSpec

FEATURE_NAMES = ("temperature", "salinity", "sin_lat", "cos_lat", "sin_lon", "cos_lon", "depth", "bottom_depth",
                 "year")


def meta_names(n_zones: int) -> tuple[str, ...]:
    return ("sin_lat", "cos_lat", "sin_lon", "cos_lon", "depth") + tuple(f"zone_{z:02d}" for z in range(n_zones))


@dataclass
class Covariates:
    path: str
    grid: GridSpec
    years: np.ndarray          # [T] int, year of each time step
    ocean: np.ndarray          # [nlev, nlat, nlon] bool: T and S finite at every time step
    stats: dict                # temperature_mean/std, salinity_mean/std

    def time_index(self, year: int) -> int:
        hit = np.flatnonzero(self.years == year)
        if len(hit) == 0:
            raise KeyError(f"{self.path}: no time step for year {year}")
        return int(hit[0])


def _years(var) -> np.ndarray:
    import cftime

    units = getattr(var, "units", "")
    if "since" in units:
        dates = cftime.num2date(var[:], units, getattr(var, "calendar", "standard"))
        return np.array([d.year for d in np.atleast_1d(dates)], np.int64)
    return np.asarray(var[:], np.int64)  # plain years


def read_covariates(path: str, zones_lon: int = 8, zones_lat: int = 4) -> Covariates:
    """Grid, mask and statistics of a covariates NetCDF, streaming one time step at a time."""
    import netCDF4

    with netCDF4.Dataset(path) as ds:
        lat = np.asarray(ds["lat"][:], float)
        lon = np.asarray(ds["lon"][:], float)
        depth = np.asarray(ds["depth"][:], float)
        years = _years(ds["time"])
        res = float(getattr(ds, "resolution_deg", 180.0 / len(lat)))
        grid = GridSpec(resolution_deg=res, depth_levels=tuple(float(d) for d in depth),
                        year_start=int(years.min()), year_end=int(years.max()),
                        zones_lon=zones_lon, zones_lat=zones_lat)
        if (grid.nlat, grid.nlon) != (len(lat), len(lon)) or not np.allclose(lat, grid.lat, atol=1e-6 * res + 1e-9):
            raise ValueError(f"{path}: lat/lon are not the global {res}° grid of cell centres")
        if not np.allclose(lon, grid.lon, atol=1e-6 * res + 1e-9):
            raise ValueError(f"{path}: lon must run from -180 + res/2 eastwards (cell centres)")
        ocean = np.ones((grid.nlev, grid.nlat, grid.nlon), bool)
        acc = np.zeros(5)
        for t in range(len(years)):
            T = np.ma.filled(ds["temperature"][t], np.nan).astype(np.float64)
            S = np.ma.filled(ds["salinity"][t], np.nan).astype(np.float64)
            ok = np.isfinite(T) & np.isfinite(S)
            ocean &= ok
            acc += [ok.sum(), T[ok].sum(), (T[ok] ** 2).sum(), S[ok].sum(), (S[ok] ** 2).sum()]
    n = max(acc[0], 1.0)
    tm, sm = acc[1] / n, acc[3] / n
    ts = float(np.sqrt(max(acc[2] / n - tm * tm, 1e-12)))
    ss = float(np.sqrt(max(acc[4] / n - sm * sm, 1e-12)))
    stats = {"temperature_mean": float(tm), "temperature_std": ts, "salinity_mean": float(sm), "salinity_std": ss}
    return Covariates(str(path), grid, years, ocean, stats)


def read_year(path: str, t: int):
    """(T, S) float32 [nlev, nlat, nlon] of time step ``t``."""
    import netCDF4

    with netCDF4.Dataset(path) as ds:
        T = np.ma.filled(ds["temperature"][t], np.nan).astype(np.float32)
        S = np.ma.filled(ds["salinity"][t], np.nan).astype(np.float32)
    return T, S


def bottom_depth(grid: GridSpec, ocean: np.ndarray) -> np.ndarray:
    """[nlat, nlon] depth (m) of the deepest ocean level of each column (0 on land)."""
    any_ocean = ocean.any(axis=0)
    deepest = grid.nlev - 1 - np.argmax(ocean[::-1], axis=0)
    return np.where(any_ocean, grid.depth[deepest], 0.0)


def node_features(grid: GridSpec, cells: np.ndarray, T: np.ndarray, S: np.ndarray, stats: dict, year: int,
                  bottom: np.ndarray) -> np.ndarray:
    """[N, len(FEATURE_NAMES)] float32."""
    k, j, i = grid.unravel(cells)
    lat, lon = np.radians(grid.lat[j]), np.radians(grid.lon[i])
    dmax = grid.depth[-1] if grid.depth[-1] > 0 else 1.0
    span = max(grid.year_end - grid.year_start, 1)
    x = np.empty((len(cells), len(FEATURE_NAMES)), np.float32)
    flatT, flatS = T.reshape(-1), S.reshape(-1)
    x[:, 0] = (flatT[cells] - stats["temperature_mean"]) / stats["temperature_std"]
    x[:, 1] = (flatS[cells] - stats["salinity_mean"]) / stats["salinity_std"]
    x[:, 2], x[:, 3], x[:, 4], x[:, 5] = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    x[:, 6] = grid.depth[k] / dmax
    x[:, 7] = bottom[j, i] / dmax
    x[:, 8] = 2.0 * (year - grid.year_start) / span - 1.0
    return x


def node_meta(grid: GridSpec, cells: np.ndarray) -> np.ndarray:
    """[N, 5 + n_zones] float32."""
    k, j, i = grid.unravel(cells)
    lat, lon = np.radians(grid.lat[j]), np.radians(grid.lon[i])
    dmax = grid.depth[-1] if grid.depth[-1] > 0 else 1.0
    m = np.zeros((len(cells), 5 + grid.n_zones), np.float32)
    m[:, 0], m[:, 1], m[:, 2], m[:, 3] = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    m[:, 4] = grid.depth[k] / dmax
    m[np.arange(len(cells)), 5 + grid.zone_of(j, i)] = 1.0
    return m
