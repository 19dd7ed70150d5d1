"""Cell geometry and the O2 inventory.

Geometry (used when the input carries no ``cell_volume``, i.e. for reconstructions):

- column area on a sphere of radius R (default 6371 km): ``R² · Δλ · (sin φ_north − sin φ_south)``, with cell
  edges half-way between centres (the ends extrapolated by half a step, clipped to ±90°);
- layer ``k`` spans the mid-depths between its neighbours, ``[0, (d0+d1)/2]``, …, the last layer ending half a
  gap below the last level (``oxygen_contracts.grid.GridSpec.depth_edges``); it is cut at the column's bottom when
  ``bottom_depth`` is known, and an ocean cell whose layer starts below the bottom keeps its full thickness (the
  synthetic bathymetry does the same for the first level of very shallow columns). Without ``bottom_depth`` every
  ocean cell has its full layer thickness.

These are the same formulas as ``preprocessing.synthetic.bathymetry``; when the input carries ``cell_volume``
(``truth.nc``) it is used as is, so truth products equal ``summary.json``.

Inventory: ``Σ o2 · 1e-6 · ρ · V`` (mol) over ocean cells, o2 in µmol/kg, ρ in kg/m³, V in m³. ρ is a constant
1025 kg/m³ by default (the value ``summary.json`` uses), or the in-situ density from gsw when T and S are given.
"""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0
RHO_DEFAULT = 1025.0


def _edges(centres: np.ndarray) -> np.ndarray:
    c = np.asarray(centres, float)
    if c.size == 1:
        raise ValueError("need at least two cell centres to infer cell edges")
    mids = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mids[0] - c[0])], mids, [c[-1] + (c[-1] - mids[-1])]])


def column_area_m2(lat, lon, radius_km: float = EARTH_RADIUS_KM) -> np.ndarray:
    """[nlat, nlon] area of each column's cell on the sphere (m²)."""
    lat_e = np.deg2rad(np.clip(_edges(lat), -90.0, 90.0))
    dlon = np.deg2rad(np.diff(_edges(lon)))
    r = radius_km * 1e3
    return (r ** 2 * (np.sin(lat_e[1:]) - np.sin(lat_e[:-1])))[:, None] * dlon[None, :]


def depth_edges(depth) -> np.ndarray:
    """Layer boundaries (m): 0, the mid-depths between levels, half a gap below the last level."""
    d = np.asarray(depth, float)
    if d.size == 1:
        return np.array([0.0, max(d[0] * 2, 10.0)])
    mids = (d[1:] + d[:-1]) / 2
    return np.concatenate([[0.0], mids, [d[-1] + (d[-1] - d[-2]) / 2]])


def cell_volume_m3(depth, area_m2: np.ndarray, ocean: np.ndarray, bottom=None) -> np.ndarray:
    """[nlev, nlat, nlon] volume of each ocean cell (0 elsewhere), layers cut at ``bottom`` [nlat, nlon] if given."""
    e = depth_edges(depth)
    top, bot = e[:-1][:, None, None], e[1:][:, None, None]
    full = np.broadcast_to(bot - top, ocean.shape)
    if bottom is None:
        thick = full
    else:
        b = np.nan_to_num(np.asarray(bottom, float), nan=0.0)[None]
        thick = np.clip(np.minimum(bot, b) - top, 0.0, None)
        thick = np.where(ocean & (thick <= 0), full, thick)
    return np.where(ocean, thick * area_m2[None], 0.0)


def density_gsw(temperature, salinity, depth, lat, lon) -> np.ndarray:
    """In-situ density (kg/m³) from in-situ temperature (°C) and practical salinity, [nlev, nlat, nlon]."""
    import gsw

    d = np.asarray(depth, float)[:, None, None]
    la = np.asarray(lat, float)[None, :, None]
    lo = np.asarray(lon, float)[None, None, :]
    p = gsw.p_from_z(-d, la)
    sa = gsw.SA_from_SP(salinity, p, lo, la)
    ct = gsw.CT_from_t(sa, temperature, p)
    rho = np.asarray(gsw.rho(sa, ct, p), float)
    return np.where(np.isfinite(rho), rho, RHO_DEFAULT)


def inventory_mol(o2: np.ndarray, ocean: np.ndarray, volume_m3: np.ndarray, density=RHO_DEFAULT,
                  columns: np.ndarray | None = None) -> float:
    """O2 inventory (mol) over ocean cells, optionally only in the columns where ``columns`` [nlat, nlon] is true."""
    cells = ocean if columns is None else ocean & columns[None]
    rho = np.broadcast_to(np.asarray(density, float), o2.shape)
    return float(np.sum(o2[cells] * 1e-6 * rho[cells] * volume_m3[cells]))


def mean_o2(o2: np.ndarray, ocean: np.ndarray, volume_m3: np.ndarray, columns: np.ndarray | None = None) -> float:
    """Volume-weighted mean O2 (µmol/kg) over ocean cells (NaN if there are none)."""
    cells = ocean if columns is None else ocean & columns[None]
    v = volume_m3[cells]
    return float(np.sum(o2[cells] * v) / v.sum()) if v.sum() > 0 else float("nan")
