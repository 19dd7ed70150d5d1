"""Oxygen minimum zones: area and volume below a threshold.

For a threshold ``c`` (µmol/kg) and one year's field:

- OMZ **area** (km²): the summed area of the columns where O2 < c at *any* ocean level (the definition of
  ``summary.json:omz30_area_km2``);
- OMZ **volume** (km³): the summed volume of the ocean cells where O2 < c.

Cells that are not ocean (land, below the bottom, NaN/fill) never count.
"""
from __future__ import annotations

import numpy as np


def omz_cells(o2: np.ndarray, ocean: np.ndarray, threshold: float) -> np.ndarray:
    """[nlev, nlat, nlon] bool: ocean cells with O2 below ``threshold``."""
    with np.errstate(invalid="ignore"):
        return ocean & (np.nan_to_num(o2, nan=np.inf) < threshold)


def omz_area_km2(o2, ocean, area_m2, threshold: float, columns: np.ndarray | None = None) -> float:
    """Area (km²) of the columns with O2 < threshold at any level (within ``columns`` if given)."""
    low = omz_cells(o2, ocean, threshold).any(axis=0)
    if columns is not None:
        low &= columns
    return float(np.sum(area_m2[low]) / 1e6)


def omz_volume_km3(o2, ocean, volume_m3, threshold: float, columns: np.ndarray | None = None) -> float:
    """Volume (km³) of the ocean cells with O2 < threshold (within ``columns`` if given)."""
    low = omz_cells(o2, ocean, threshold)
    if columns is not None:
        low &= columns[None]
    return float(np.sum(volume_m3[low]) / 1e9)


def omz_table(o2, ocean, area_m2, volume_m3, thresholds, regions: dict[str, np.ndarray | None]):
    """Areas and volumes for every threshold and region: two arrays [n_thresholds, n_regions] (km², km³).

    ``regions`` maps a region name to a column mask [nlat, nlon] (None = global)."""
    areas = np.zeros((len(thresholds), len(regions)))
    vols = np.zeros_like(areas)
    for a, c in enumerate(thresholds):
        low = omz_cells(o2, ocean, c)
        col = low.any(axis=0)
        for r, mask in enumerate(regions.values()):
            m = col if mask is None else col & mask
            areas[a, r] = np.sum(area_m2[m]) / 1e6
            vols[a, r] = np.sum(volume_m3[low if mask is None else low & mask[None]]) / 1e9
    return areas, vols
