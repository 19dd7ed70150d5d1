"""Land from the real mask and a plausible bottom depth.

A column is ocean where its ocean fraction (``GridSpec.ocean_fraction``, global-land-mask) is >= 0.5. The
bottom: shelves (~150 m) in columns that touch land, a continental slope over the next ~2 columns (scaled to the
resolution), abyssal plains of 4000–5500 m and mid-ocean ridges (Mid-Atlantic Ridge, East Pacific Rise,
Indian ridges) rising to ~2500 m. An ocean cell is an ocean column whose level depth is <= the bottom.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oxygen_contracts.grid import GridSpec

EARTH_RADIUS_M = 6_371_000.0


@dataclass
class Bathymetry:
    ocean_fraction: np.ndarray    # [nlat, nlon]
    column: np.ndarray            # [nlat, nlon] bool, ocean column
    bottom: np.ndarray            # [nlat, nlon] m (NaN on land)
    mask: np.ndarray              # [nlev, nlat, nlon] bool, ocean cell
    coast_km: np.ndarray          # [nlat, nlon] distance to the nearest land column (km, approx.)
    area_m2: np.ndarray           # [nlat, nlon] cell area
    volume_m3: np.ndarray         # [nlev, nlat, nlon] cell volume (0 outside the ocean)


def _distance_to_land(land: np.ndarray, lat: np.ndarray, res: float) -> np.ndarray:
    """Steps (in cells) to the nearest land column by repeated dilation (longitude wraps)."""
    dist = np.where(land, 0, -1)
    front = land.copy()
    step = 0
    while np.any(dist < 0) and step < max(land.shape):
        step += 1
        grown = front | np.roll(front, 1, 1) | np.roll(front, -1, 1)
        grown[1:] |= front[:-1]
        grown[:-1] |= front[1:]
        new = grown & (dist < 0)
        dist[new] = step
        front = grown
    dist[dist < 0] = step + 1
    km_per_cell = res * 111.0 * np.maximum(np.cos(np.deg2rad(lat))[:, None], 0.2)
    return dist * km_per_cell


def build(grid: GridSpec) -> Bathymetry:
    frac = grid.ocean_fraction()
    column = frac >= 0.5
    lat, lon = grid.lat, grid.lon
    LA, LO = np.meshgrid(lat, lon, indexing="ij")
    coast_km = _distance_to_land(~column, lat, grid.resolution_deg)
    # abyssal plain with gentle undulation, ridges rising from it
    plain = 4750 + 600 * np.sin(np.deg2rad(2.3 * LO)) * np.cos(np.deg2rad(3.1 * LA))
    mar = np.exp(-((LO - (-30 + 12 * np.sin(np.deg2rad(LA * 2)))) / 7) ** 2) * (np.abs(LA) < 65)
    epr = np.exp(-((LO - (-108 + 0.25 * LA)) / 8) ** 2) * (LA < 25) * (LA > -55)
    ind = np.exp(-((LA - (-40 + 25 * np.exp(-((LO - 65) / 15) ** 2))) / 6) ** 2) * (LO > 30) * (LO < 120)
    abyss = plain - 2200 * np.clip(mar + epr + 0.7 * ind, 0, 1)
    # shelf at the coast, slope over ~300 km
    t = np.clip((coast_km - 50.0) / 350.0, 0, 1)
    bottom = 150 + (abyss - 150) * (3 * t ** 2 - 2 * t ** 3)
    bottom = np.where(column, np.clip(bottom, 50, 5500), np.nan)
    d = grid.depth
    mask = column[None] & (d[:, None, None] <= np.nan_to_num(bottom, nan=-1)[None])
    # a column with no level above its bottom is still ocean at the first level
    mask[0] |= column
    r = np.deg2rad(grid.resolution_deg)
    edges_lat = np.deg2rad(-90 + np.arange(grid.nlat + 1) * grid.resolution_deg)
    area = (EARTH_RADIUS_M ** 2 * r * (np.sin(edges_lat[1:]) - np.sin(edges_lat[:-1])))[:, None] * np.ones(grid.nlon)
    e = grid.depth_edges()
    top = e[:-1][:, None, None]
    bot = np.minimum(e[1:][:, None, None], np.nan_to_num(bottom, nan=0)[None])
    thick = np.clip(bot - top, 0, None)
    thick = np.where(mask & (thick <= 0), e[1] - e[0], thick)   # first level of very shallow columns
    volume = np.where(mask, thick * area[None], 0.0)
    return Bathymetry(frac, column, bottom, mask, coast_km, area, volume)
