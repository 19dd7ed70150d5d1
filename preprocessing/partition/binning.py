"""Bin the observations of one year onto the grid: per ocean cell, mean/count/spread of O2, mean PO4 and NO3.

The store is read one year directory at a time, in record batches of ``batch_rows`` rows, into dense per-cell
accumulators (``ncells`` float64 sums), so memory per worker depends on the grid, never on the number of rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oxygen_contracts.grid import GridSpec

COLUMNS = ("lat", "lon", "depth", "oxygen", "phosphate", "nitrate")


@dataclass
class BinnedYear:
    """Observed cells of one year, sorted by cell id (only cells with at least one O2 or nutrient value)."""

    year: int
    cell: np.ndarray        # [K] int64, sorted
    o2: np.ndarray          # [K] f4 mean (NaN = no O2)
    o2_count: np.ndarray    # [K] i4
    o2_std: np.ndarray      # [K] f4 population spread (0 for a single value, NaN = no O2)
    po4: np.ndarray         # [K] f4 mean (NaN none)
    no3: np.ndarray         # [K] f4 mean (NaN none)
    n_rows: int = 0         # rows read
    n_used: int = 0         # rows that landed in an ocean cell with at least one value

    @classmethod
    def empty(cls, year: int) -> "BinnedYear":
        z = np.zeros(0, np.float32)
        return cls(year, np.zeros(0, np.int64), z, np.zeros(0, np.int32), z, z, z)

    def lookup(self, cells: np.ndarray):
        """Positions of ``cells`` in this year's bins and whether each is present."""
        cells = np.asarray(cells, np.int64)
        if len(self.cell) == 0:
            return np.zeros(len(cells), np.int64), np.zeros(len(cells), bool)
        pos = np.minimum(np.searchsorted(self.cell, cells), len(self.cell) - 1)
        return pos, self.cell[pos] == cells


def year_files(store: str | Path, year: int) -> list[Path]:
    d = Path(store) / f"year={int(year)}"
    return sorted(d.glob("*.parquet")) if d.is_dir() else []


def _batches(files: list[Path], batch_rows: int):
    import pyarrow.parquet as pq

    for f in files:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        cols = [c for c in COLUMNS if c in names]
        for b in pf.iter_batches(batch_size=batch_rows, columns=cols):
            out = {}
            for c in COLUMNS:
                if c in names:
                    out[c] = b.column(c).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
                else:
                    out[c] = np.full(b.num_rows, np.nan)
            yield b.num_rows, out


def bin_year(store: str | Path, year: int, grid: GridSpec, ocean: np.ndarray, batch_rows: int = 1_000_000) -> BinnedYear:
    """Bin one year of the store. ``ocean`` is the [nlev, nlat, nlon] bool mask; rows elsewhere are dropped."""
    n = grid.ncells
    ocean_flat = np.asarray(ocean, bool).ravel()
    s_o2 = np.zeros(n)
    ss_o2 = np.zeros(n)
    c_o2 = np.zeros(n, np.int64)
    s_p = np.zeros(n)
    c_p = np.zeros(n, np.int64)
    s_n = np.zeros(n)
    c_n = np.zeros(n, np.int64)
    n_rows = n_used = 0
    for rows, b in _batches(year_files(store, year), batch_rows):
        n_rows += rows
        k, j, i = grid.locate(b["lat"], b["lon"], b["depth"])
        ok = k >= 0
        cell = np.where(ok, grid.cell_id(np.maximum(k, 0), np.maximum(j, 0), np.maximum(i, 0)), 0)
        ok &= ocean_flat[cell]
        o2, p, no3 = b["oxygen"], b["phosphate"], b["nitrate"]
        used = ok & (np.isfinite(o2) | np.isfinite(p) | np.isfinite(no3))
        n_used += int(used.sum())
        for val, s, c, sq in ((o2, s_o2, c_o2, ss_o2), (p, s_p, c_p, None), (no3, s_n, c_n, None)):
            m = ok & np.isfinite(val)
            cm, vm = cell[m], val[m]
            s += np.bincount(cm, weights=vm, minlength=n)
            c += np.bincount(cm, minlength=n)
            if sq is not None:
                sq += np.bincount(cm, weights=vm * vm, minlength=n)
    cells = np.flatnonzero((c_o2 > 0) | (c_p > 0) | (c_n > 0)).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        co = c_o2[cells]
        mean = s_o2[cells] / co
        var = np.maximum(ss_o2[cells] / co - mean * mean, 0.0)
        po4 = s_p[cells] / c_p[cells]
        no3m = s_n[cells] / c_n[cells]
    return BinnedYear(int(year), cells, mean.astype(np.float32), co.astype(np.int32),
                      np.sqrt(var).astype(np.float32), po4.astype(np.float32), no3m.astype(np.float32),
                      n_rows, n_used)
