"""The committed WOA- and EN4-layout files (tests/data/covariates, see SOURCES.md there) and hand interpolation."""
from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "covariates"
WOA_T = DATA / "woa" / "woa18_decav_t00_5d.nc"
WOA_S = DATA / "woa" / "woa18_decav_s00_5d.nc"
EN4 = sorted((DATA / "en4").glob("EN.4.2.2.f.analysis.g10.2010*.nc"))


def raw(path: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(values [depth, lat, lon] with NaN, depth, lat, lon) straight from the file, no conversion."""
    with netCDF4.Dataset(path) as ds:
        v = np.ma.filled(ds[name][0].astype(float), np.nan)
        return v, ds["depth"][:].astype(float), ds["lat"][:].astype(float), ds["lon"][:].astype(float)


def corners(c: np.ndarray, x: float, wrap: bool = False) -> list[tuple[int, float]]:
    """The two source indices around ``x`` and their linear weights (clamped at the ends; lon wraps if asked)."""
    if wrap:
        n = c.size
        ext = np.concatenate([[c[-1] - 360.0], c, [c[0] + 360.0]])
        i = int(np.searchsorted(ext, x, side="right") - 1)
        w = (x - ext[i]) / (ext[i + 1] - ext[i])
        return [((i - 1) % n, 1 - w), (i % n, w)]
    x = min(max(x, c[0]), c[-1])
    i = min(int(np.searchsorted(c, x, side="right") - 1), c.size - 2)
    w = (x - c[i]) / (c[i + 1] - c[i])
    return [(i, 1 - w), (i + 1, w)]


def hand(values, depth, lat, lon, z, y, x) -> tuple[float, float]:
    """(Σ w m v / Σ w m, Σ w m) over the 8 corners: by hand, one corner at a time."""
    lon = (lon + 180.0) % 360.0 - 180.0
    order = np.argsort(lon)
    lon, values = lon[order], values[:, :, order]
    num = den = 0.0
    for k, wk in corners(depth, z):
        for j, wj in corners(lat, y):
            for i, wi in corners(lon, x, wrap=True):
                w = wk * wj * wi
                if np.isfinite(values[k, j, i]):
                    num += w * values[k, j, i]
                    den += w
    return (num / den if den > 0 else np.nan), den


@pytest.fixture(scope="session")
def woa_files() -> list[Path]:
    return [WOA_T, WOA_S]
