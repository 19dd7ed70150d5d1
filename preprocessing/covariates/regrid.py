"""A source field on the model grid, and the ocean mask of ``covariates.nc``.

Interpolation: ``xarray.DataArray.interp`` (scipy underneath), ``linear`` = trilinear in depth, lat and lon, made
NaN-aware: the values (NaN → 0) and the source's ocean indicator m (1 ocean, 0 not) are interpolated with the same
weights w_c of the 8 surrounding source centres c, and their ratio is the value:

    v(x) = Σ_c w_c m_c v_c / o(x),        o(x) = Σ_c w_c m_c   (the ocean weight of x, 0…1),

i.e. the corners on land or below the bottom are dropped and the others' weights renormalised. Longitude wraps (a
global source is padded by one column on each side); a target point between the outermost source centre and the
edge of that cell (its bounds) takes the outermost value. ``nearest`` takes the nearest centre instead.

Coverage: the latitudes of the grid's ocean columns (and their longitudes, for a source that is not global) must lie
within the source's cells, and the deepest level within its depth range, or :class:`CoverageError` names the file.

Mask (built once, from the climatology): a cell is ocean where its column is ocean in the grid's land mask
(``GridSpec.ocean_fraction`` >= ``min_ocean_fraction``, the real land mask of ``global-land-mask``) and more than
half of its interpolation weight lies on source ocean (o >= 0.5, temperature and salinity alike). Coastal gaps —
columns the land mask calls ocean where the source has no ocean at the surface — are filled from ocean neighbours on
the same level (mean of the 4-neighbours, longitude wrapping), at most ``fill_cells`` cells outwards, level by level
from the top and only below an ocean cell of the same column, so a filled column reaches no deeper than its
neighbours. Cells left unfilled are land in covariates.nc (counted in the provenance).
"""
from __future__ import annotations

import numpy as np

from oxygen_contracts.grid import GridSpec
from preprocessing.covariates.sources import Field

TOL = 1e-6


class CoverageError(ValueError):
    """The source does not cover the grid's ocean; ``str()`` is one line starting with the file."""


def check_coverage(f: Field, grid: GridSpec, columns: np.ndarray) -> None:
    """``columns`` [nlat, nlon]: the grid's ocean columns."""
    if not columns.any():
        return
    name = f.files[0] + (f" (and {len(f.files) - 1} more)" if len(f.files) > 1 else "")
    lat = grid.lat[columns.any(axis=1)]
    if lat.min() < f.lat_extent[0] - TOL or lat.max() > f.lat_extent[1] + TOL:
        raise CoverageError(f"{name}: does not cover the grid: ocean cells at {lat.min():g}…{lat.max():g}°N, the "
                            f"file spans {f.lat_extent[0]:g}…{f.lat_extent[1]:g}°N")
    if not f.periodic:
        lon = grid.lon[columns.any(axis=0)]
        if lon.min() < f.lon_extent[0] - TOL or lon.max() > f.lon_extent[1] + TOL:
            raise CoverageError(f"{name}: does not cover the grid: ocean cells at {lon.min():g}…{lon.max():g}°E, "
                                f"the file spans {f.lon_extent[0]:g}…{f.lon_extent[1]:g}°E and is not global")
    if grid.depth[-1] > f.depth_extent[1] + TOL or grid.depth[0] < f.depth_extent[0] - TOL:
        raise CoverageError(f"{name}: does not cover the grid: levels {grid.depth[0]:g}…{grid.depth[-1]:g} m, the "
                            f"file spans {f.depth_extent[0]:g}…{f.depth_extent[1]:g} m")


def interpolate(f: Field, grid: GridSpec, method: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """(values, ocean weight o) on the grid, each [nlev, nlat, nlon] float64; values NaN where o = 0."""
    import xarray as xr

    v, lon = f.values, f.lon
    if f.periodic and lon.size > 1:
        v = np.concatenate([v[:, :, -1:], v, v[:, :, :1]], axis=2)
        lon = np.concatenate([[lon[-1] - 360.0], lon, [lon[0] + 360.0]])
    m = np.isfinite(v)
    coords = {"depth": f.depth, "lat": f.lat, "lon": lon}
    target = {"depth": np.clip(grid.depth, f.depth[0], f.depth[-1]), "lat": np.clip(grid.lat, f.lat[0], f.lat[-1]),
              "lon": np.clip(grid.lon, lon[0], lon[-1])}
    dims = ("depth", "lat", "lon")
    num = xr.DataArray(np.where(m, v, 0.0).astype(np.float64), dims=dims, coords=coords)
    den = xr.DataArray(m.astype(np.float64), dims=dims, coords=coords)
    for d in dims:
        if coords[d].size < 2:
            raise CoverageError(f"{f.files[0]}: a single {d} value; interpolation needs at least two")
    num = num.interp(target, method=method).values
    o = den.interp(target, method=method).values
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(o > TOL, num / np.where(o > TOL, o, 1.0), np.nan), np.clip(o, 0.0, 1.0)


def neighbour_mean(a: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the ``ok`` 4-neighbours of each cell of ``a`` [..., nlat, nlon] (lon wraps); (mean, any neighbour)."""
    s, n = np.zeros(a.shape), np.zeros(a.shape)
    val = np.where(ok, a, 0.0)
    for shift in (1, -1):
        s += np.roll(val, shift, axis=-1)
        n += np.roll(ok, shift, axis=-1)
    s[..., 1:, :] += val[..., :-1, :]
    n[..., 1:, :] += ok[..., :-1, :]
    s[..., :-1, :] += val[..., 1:, :]
    n[..., :-1, :] += ok[..., 1:, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan), n > 0


def ocean_mask(columns: np.ndarray, t: np.ndarray, s: np.ndarray, ot: np.ndarray, os_: np.ndarray,
               fill_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(ocean [nlev, nlat, nlon] bool, t, s filled, counts) from the interpolated climatology (module docstring)."""
    ocean = columns[None] & (ot >= 0.5) & (os_ >= 0.5) & np.isfinite(t) & np.isfinite(s)
    t, s = np.where(ocean, t, np.nan), np.where(ocean, s, np.nan)
    gap_cols = columns & ~ocean[0]
    filled = 0
    for k in range(ocean.shape[0]):
        cand = gap_cols & ~ocean[k] & (ocean[k - 1] if k else True)
        for _ in range(fill_cells):
            mt, has = neighbour_mean(t[k], ocean[k])
            ms, _ = neighbour_mean(s[k], ocean[k])
            new = cand & has
            if not new.any():
                break
            t[k][new], s[k][new] = mt[new], ms[new]
            ocean[k] |= new
            cand &= ~new
            filled += int(new.sum())
    counts = {"ocean_cells": int(ocean.sum()), "coastal_cells_filled": filled,
              "land_mask_ocean_columns": int(columns.sum()),
              "columns_left_land": int((columns & ~ocean[0]).sum()),
              "source_ocean_cells_on_land": int((~columns[None] & (ot >= 0.5)).sum())}
    return ocean, t, s, counts


def fill_within(values: np.ndarray, ocean: np.ndarray, passes: int) -> tuple[np.ndarray, int]:
    """NaN ocean cells of ``values`` filled from finite 4-neighbours on the same level, ``passes`` times."""
    v = values.copy()
    n = 0
    for _ in range(passes):
        missing = ocean & ~np.isfinite(v)
        if not missing.any():
            break
        m, has = neighbour_mean(v, np.isfinite(v))
        new = missing & has
        v[new] = m[new]
        n += int(new.sum())
    return v, n
