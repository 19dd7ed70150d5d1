"""Small hand-made inputs for tests and the benchmark: a covariates NetCDF and a Parquet observation store.

Not the OSSE (``oxygen-hpc synth`` is); just enough structure — any ocean mask, smooth T/S, random casts — to
exercise partitioning at any size.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from oxygen_contracts.grid import GridSpec
from oxygen_contracts.schema import STORE_COLUMNS


def write_covariates(path: str | Path, grid: GridSpec, ocean: np.ndarray) -> Path:
    """Covariates for ``grid`` years; NaN where ``ocean`` ([nlev, nlat, nlon]) is False."""
    import netCDF4

    path = Path(path)
    years = grid.years
    with netCDF4.Dataset(path, "w") as ds:
        ds.resolution_deg = grid.resolution_deg
        for name, n in (("time", len(years)), ("depth", grid.nlev), ("lat", grid.nlat), ("lon", grid.nlon)):
            ds.createDimension(name, n)
        t = ds.createVariable("time", "f8", ("time",))
        t.units, t.calendar = "days since 1900-01-01", "standard"
        t[:] = (years - 1900) * 365.25 + 182.0
        for name, vals in (("depth", grid.depth), ("lat", grid.lat), ("lon", grid.lon)):
            ds.createVariable(name, "f8", (name,))[:] = vals
        shape = ("time", "depth", "lat", "lon")
        vt = ds.createVariable("temperature", "f4", shape, fill_value=np.float32(np.nan))
        vs = ds.createVariable("salinity", "f4", shape, fill_value=np.float32(np.nan))
        lat = grid.lat[None, :, None]
        dep = grid.depth[:, None, None]
        for n, y in enumerate(years):
            T = 25 * np.cos(np.radians(lat)) * np.exp(-dep / 1000.0) + 2 + 0.01 * (y - years[0]) + 0 * grid.lon
            S = 34.5 + 0.5 * np.sin(np.radians(grid.lon))[None, None, :] + 0 * dep + 0 * lat
            vt[n] = np.where(ocean, T, np.nan).astype(np.float32)
            vs[n] = np.where(ocean, S, np.nan).astype(np.float32)
    return path


def store_table(grid: GridSpec, ocean: np.ndarray, year: int, n_rows: int, seed: int = 0):
    """A pyarrow Table of ``n_rows`` random observations in ocean cells of ``year``."""
    import pyarrow as pa

    rng = np.random.default_rng([seed, year])
    cells = np.flatnonzero(ocean.ravel())
    c = rng.choice(cells, n_rows)
    k, j, i = grid.unravel(c)
    r = grid.resolution_deg
    lat = grid.lat[j] + rng.uniform(-0.45, 0.45, n_rows) * r
    lon = grid.lon[i] + rng.uniform(-0.45, 0.45, n_rows) * r
    o2 = (250 - 0.05 * grid.depth[k] + rng.normal(0, 5, n_rows)).astype(np.float32)
    o2[rng.random(n_rows) < 0.1] = np.nan
    po4 = np.where(rng.random(n_rows) < 0.5, (300 - o2) / 170, np.nan).astype(np.float32)
    no3 = np.where(np.isfinite(po4), 16 * po4, np.nan).astype(np.float32)
    n = n_rows
    cols = {
        "source": pa.array(["wod"] * n, pa.string()), "source_file": pa.array(["toy"] * n, pa.string()),
        "cast_id": pa.array([f"c{x}" for x in range(n)], pa.string()),
        "time": pa.array(np.full(n, np.datetime64(f"{year}-07-01", "ns")), pa.timestamp("ns", tz="UTC")),
        "lat": pa.array(lat, pa.float64()), "lon": pa.array(lon, pa.float64()),
        "depth": pa.array(grid.depth[k].astype(np.float32)), "pressure": pa.array(grid.depth[k].astype(np.float32)),
        "oxygen": pa.array(o2), "temperature": pa.array(np.full(n, np.nan, np.float32)),
        "salinity": pa.array(np.full(n, np.nan, np.float32)), "nitrate": pa.array(no3),
        "phosphate": pa.array(po4), "silicate": pa.array(np.full(n, np.nan, np.float32)),
    }
    assert list(cols) == list(STORE_COLUMNS)
    return pa.table(cols)


def write_store_year(store: str | Path, table, year: int, chunk: str = "part-0") -> Path:
    import pyarrow.parquet as pq

    d = Path(store) / f"year={int(year)}"
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, d / f"{chunk}.parquet")
    return d


def block_ocean(grid: GridSpec, land_cols=(), shelf_cols=()) -> np.ndarray:
    """Mask: all ocean, except columns in ``land_cols`` [(j, i)] and the deepest level under ``shelf_cols``."""
    m = np.ones((grid.nlev, grid.nlat, grid.nlon), bool)
    for j, i in land_cols:
        m[:, j, i] = False
    for j, i in shelf_cols:
        m[-1, j, i] = False
    return m


def tiny_case(root: str | Path, years=(2000, 2003), store_years=(1996, 2004), rows: int = 60, seed: int = 0):
    """A 30° grid (3 levels x 6 x 12) with a 2x2 land block and one shelf column; covariates + store in ``root``.

    Returns (grid, ocean, covariates path, store path)."""
    root = Path(root)
    grid = GridSpec(resolution_deg=30.0, depth_levels=(0.0, 100.0, 500.0), year_start=years[0],
                    year_end=years[1], zones_lon=2, zones_lat=2)
    ocean = block_ocean(grid, land_cols=[(2, 3), (2, 4), (3, 3), (3, 4)], shelf_cols=[(0, 0), (5, 11)])
    cov = write_covariates(root / "covariates.nc", grid, ocean)
    store = root / "store"
    for y in range(store_years[0], store_years[1] + 1):
        write_store_year(store, store_table(grid, ocean, y, rows, seed), y)
    return grid, ocean, cov, store
