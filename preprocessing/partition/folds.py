"""Evaluation folds, fixed at partition time, as a deterministic function of (cell, year).

Every observation of a node (cell, year) — its O2 and its nutrients — gets the node's fold, so a (cell, year) bin
never mixes folds. The hash is SplitMix64 over (seed, key...), in numpy uint64 arithmetic: identical on every
machine, Python version and process (unlike ``hash()``).

Schemes:
- ``spatial_block_year``: key = (lon block, lat block, year) with ``block_deg`` blocks from (−180, −90).
- ``year_zone``: key = (zone, year) — a whole partition is one fold (as in the paper).
- ``random_cell``: key = (cell, year) — every node on its own (a random split, the optimistic baseline).
"""
from __future__ import annotations

import numpy as np

from oxygen_contracts.grid import GridSpec

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x += _GOLD
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        x ^= x >> np.uint64(31)
    return x


def stable_hash(seed: int, *keys) -> np.ndarray:
    """uint64 hash of integer arrays ``keys`` (broadcast) under ``seed``."""
    h = _mix(np.asarray(np.uint64(seed & 0xFFFFFFFFFFFFFFFF)))
    with np.errstate(over="ignore"):
        for k in keys:
            kk = np.asarray(k, np.int64).astype(np.uint64)
            h = _mix(h ^ kk)
    return h


def block_of(grid: GridSpec, cell, block_deg: float):
    """(lon block, lat block) of each cell centre."""
    _, j, i = grid.unravel(cell)
    bi = np.floor((grid.lon[i] + 180.0) / block_deg).astype(np.int64)
    bj = np.floor((grid.lat[j] + 90.0) / block_deg).astype(np.int64)
    return bi, bj


def assign_folds(grid: GridSpec, cell, year, n_folds: int, scheme: str, seed: int = 0,
                 block_deg: float = 20.0) -> np.ndarray:
    """[n] int8 fold in [0, n_folds) of nodes (cell, year); ``year`` may be a scalar."""
    cell = np.asarray(cell, np.int64)
    year = np.broadcast_to(np.asarray(year, np.int64), cell.shape)
    if scheme == "spatial_block_year":
        bi, bj = block_of(grid, cell, block_deg)
        h = stable_hash(seed, 1, bi, bj, year)
    elif scheme == "year_zone":
        _, j, i = grid.unravel(cell)
        h = stable_hash(seed, 2, grid.zone_of(j, i), year)
    elif scheme == "random_cell":
        h = stable_hash(seed, 3, cell, year)
    else:
        raise ValueError(f"unknown fold scheme {scheme!r}")
    return (h % np.uint64(n_folds)).astype(np.int8)
