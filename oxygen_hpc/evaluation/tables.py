"""Per-node tables from HDF5 partitions, for the table baselines and for scoring every method alike.

One row per OWNED node (a (cell, year); halo copies are skipped, so each node appears once): ``year, zone,
cell, level, lat, lon, depth``, the partition's normalised features ``x`` under the manifest's
``feature_names``, ``y`` (binned observed DO, NaN = none), ``y_count`` and ``fold`` (−1 = none). This is the
table contract of ``oxygen_hpc.models.baselines``.

:func:`node_tables` returns the labelled nodes (every fold: the caller splits them) and a sample of the
never-observed nodes (no O2 observation at all in that (cell, year)), drawn by a hash of (seed, year, cell) so
the sample does not depend on how partitions are read and is the same for every method.
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from oxygen_contracts import schema
from oxygen_contracts.manifest import PartitionManifest

FEATURE_PREFIX = "x_"   # feature names include 'depth' and 'year' (normalised): keep them apart from positions
_M1, _M2, _GOLD = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def node_hash(year, cell, seed: int = 0) -> np.ndarray:
    """SplitMix64 of (seed, year, cell) as uint64 (order-free sampling key)."""
    with np.errstate(over="ignore"):
        z = (np.asarray(year, np.uint64) * np.uint64(1_000_003) + np.asarray(cell, np.uint64)
             + np.uint64(seed) * _GOLD) + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _frame(grid, names, year, zone, cell, x, y, y_count, fold) -> pd.DataFrame:
    k, j, i = grid.unravel(cell)
    d = {"year": np.full(len(cell), year, np.int64), "zone": np.full(len(cell), zone, np.int64), "cell": cell,
         "level": k.astype(np.int64), "lat": grid.lat[j], "lon": grid.lon[i], "depth": grid.depth[k]}
    for n, name in enumerate(names):
        d[FEATURE_PREFIX + name] = x[:, n]
    d.update(y=y.astype(np.float64), y_count=y_count.astype(np.int64), fold=fold.astype(np.int64))
    return pd.DataFrame(d)


def node_tables(root: str | Path, n_unobserved: int = 20_000, seed: int = 0, years=None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(labelled owned nodes, sample of ``n_unobserved`` never-observed owned nodes) of the partitions."""
    root = Path(root)
    manifest = PartitionManifest.read(root)
    grid = manifest.grid
    names = manifest.feature_names
    ys = None if years is None else {int(y) for y in years}
    parts: dict[int, list[int]] = {}
    for p in manifest["partitions"]:
        if ys is None or p["year"] in ys:
            parts.setdefault(int(p["year"]), []).append(int(p["zone"]))
    lab, unobs = [], []
    best_keys = np.empty(0, np.uint64)
    for year, zones in sorted(parts.items()):
        with h5py.File(root / schema.year_file(year), "r") as f:
            for zone in sorted(zones):
                g = f[schema.zone_group(zone)]
                owned = g["owned"][()].astype(bool)
                y = g["y"][()]
                obs = np.isfinite(y)
                sel_l = owned & obs
                sel_u = owned & ~obs
                cell = g["cell"][()].astype(np.int64)
                if n_unobserved > 0 and sel_u.any():
                    keys = node_hash(year, cell[sel_u], seed)
                    if len(best_keys) >= n_unobserved:
                        keep = keys < best_keys.max()
                        sel_u[np.flatnonzero(sel_u)[~keep]] = False
                        keys = keys[keep]
                else:
                    sel_u[:] = False
                if not (sel_l.any() or sel_u.any()):
                    continue
                x = g["x"][()]
                yc, fold = g["y_count"][()], g["fold"][()]
                if sel_l.any():
                    lab.append(_frame(grid, names, year, zone, cell[sel_l], x[sel_l], y[sel_l], yc[sel_l],
                                      fold[sel_l]))
                if sel_u.any():
                    fr = _frame(grid, names, year, zone, cell[sel_u], x[sel_u], y[sel_u], yc[sel_u], fold[sel_u])
                    fr["_key"] = keys
                    unobs.append(fr)
                    allk = np.concatenate([best_keys, keys])
                    best_keys = np.sort(allk)[:n_unobserved]
                    if sum(len(u) for u in unobs) > 4 * n_unobserved:         # prune now and then
                        u = pd.concat(unobs, ignore_index=True)
                        unobs = [u[u["_key"] <= best_keys.max()]]
    labelled = pd.concat(lab, ignore_index=True) if lab else _frame(grid, names, 0, 0, *_empty(len(names)))
    if unobs:
        u = pd.concat(unobs, ignore_index=True).sort_values("_key", kind="stable").head(n_unobserved)
        unobserved = u.drop(columns="_key").sort_values(["year", "cell"], kind="stable").reset_index(drop=True)
    else:
        unobserved = labelled.iloc[:0].copy()
    return labelled, unobserved


def _empty(nf: int):
    z = np.zeros(0)
    return np.zeros(0, np.int64), np.zeros((0, nf), np.float32), z, np.zeros(0, np.int64), np.zeros(0, np.int64)


def split(labelled: pd.DataFrame, val_fold: int, test_fold: int) -> dict[str, pd.DataFrame]:
    """{train: folds not held out, val: val_fold, test: test_fold}; the train table never holds a held-out row."""
    f = labelled["fold"].to_numpy()
    held = np.isin(f, [val_fold, test_fold])
    return {"train": labelled[~held & (f >= 0)].reset_index(drop=True),
            "val": labelled[f == val_fold].reset_index(drop=True),
            "test": labelled[f == test_fold].reset_index(drop=True)}
