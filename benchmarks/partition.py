"""Partition benchmark: nodes/s, observations/s, peak RSS per worker, output bytes; memory as input grows 10x.

Builds, in a temp dir, a covariates file at ``--res`` degrees x ``--levels`` levels (real land mask, synthetic
bathymetry) for ``--years`` years and an observation store with ``--rows`` rows per year, partitions it on a
local Dask cluster of ``--workers`` processes, then again with 10x the rows. Prints its figures.

    .venv/bin/python benchmarks/partition.py                       # 1° x 33 levels, 3 years
    .venv/bin/python benchmarks/partition.py --res 4 --levels 14 --years 104 --rows 10000 --no-grow   # demo size
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the repository root: tests.fixtures.toy

from oxygen_contracts.grid import WOA_LEVELS, GridSpec  # noqa: E402
from preprocessing.partition.config import PartitionConfig  # noqa: E402
from preprocessing.partition.pipeline import run  # noqa: E402
from tests.fixtures import toy  # noqa: E402


def ocean_mask(grid: GridSpec) -> np.ndarray:
    """Real coastlines (global-land-mask); bottom deepens away from the coast to the last level."""
    frac = grid.ocean_fraction(subsample=2)
    col = frac > 0.5
    # crude bathymetry: number of levels grows with latitude-smoothed ocean fraction of the neighbourhood
    smooth = sum(np.roll(np.roll(frac, a, 0), b, 1) for a in (-2, 0, 2) for b in (-2, 0, 2)) / 9
    nlev = np.clip(np.round(smooth * grid.nlev * 1.2), 1, grid.nlev).astype(int)
    k = np.arange(grid.nlev)[:, None, None]
    return col[None] & (k < nlev[None])


def make_inputs(root: Path, grid: GridSpec, ocean: np.ndarray, rows: int, seed: int = 0):
    cov = root / "covariates.nc"
    if not cov.exists():
        toy.write_covariates(cov, grid, ocean)
    store = root / f"store_{rows}"
    for y in grid.years:
        table = toy.store_table(grid, ocean, int(y), rows, seed)
        # several chunks per year, as ingest writes them
        step = max(rows // 4, 1)
        for c in range(0, rows, step):
            toy.write_store_year(store, table.slice(c, step), int(y), f"chunk-{c // step}")
    return cov, store


def measure(root: Path, grid, cov, store, workers: int, cluster) -> dict:
    out = root / f"out_{store.name}"
    cfg = PartitionConfig(covariates=str(cov), out=str(out), zones_lon=grid.zones_lon, zones_lat=grid.zones_lat,
                          batch_rows=250_000)
    t0 = time.perf_counter()
    s = run(cfg, str(store), cluster=cluster, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    recs = s.records
    task_s = sum(r["seconds"] for r in recs)
    nodes = s.manifest["totals"]["nodes"]
    rows = s.manifest["totals"]["obs_rows"]
    return {"wall_s": wall, "task_s": task_s, "nodes": nodes, "owned": s.manifest["totals"]["owned"],
            "rows": rows, "bytes": s.manifest["totals"]["bytes"], "files": len(recs),
            "peak_rss": max(r["peak_rss"] for r in recs), "nodes_per_s_core": nodes / task_s,
            "nodes_per_s_wall": nodes / wall, "rows_per_s_wall": rows / wall}


def show(tag: str, m: dict, workers: int) -> None:
    print(f"[{tag}] {m['files']} years, {m['nodes']:,} nodes ({m['owned']:,} owned), {m['rows']:,} obs rows, "
          f"{m['bytes'] / 2**20:,.1f} MiB")
    print(f"[{tag}] wall {m['wall_s']:.1f} s on {workers} worker(s) (incl. cluster start, covariates, topology); "
          f"write tasks {m['task_s']:.1f} s")
    print(f"[{tag}] nodes/s per core (write tasks) {m['nodes_per_s_core']:,.0f}; nodes/s wall "
          f"{m['nodes_per_s_wall']:,.0f}; observations/s wall {m['rows_per_s_wall']:,.0f}")
    print(f"[{tag}] peak RSS per worker {m['peak_rss'] / 2**20:,.0f} MiB; bytes per node "
          f"{m['bytes'] / max(m['nodes'], 1):.0f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", type=float, default=1.0)
    ap.add_argument("--levels", type=int, default=33)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--rows", type=int, default=200_000, help="observation rows per year")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-grow", action="store_true", help="skip the 10x input run")
    ap.add_argument("--dir", help="work dir (default: a temp dir, removed)")
    a = ap.parse_args(argv)
    levels = tuple(float(d) for d in WOA_LEVELS[: a.levels]) if a.levels <= 33 else None
    grid = GridSpec(resolution_deg=a.res, depth_levels=levels, year_start=2000, year_end=2000 + a.years - 1)
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        root = Path(d)
        ocean = ocean_mask(grid)
        print(f"grid {a.res}° x {grid.nlev} levels x {a.years} years: {int(ocean.sum()):,} ocean cells per year")
        cov, store = make_inputs(root, grid, ocean, a.rows)
        m1 = measure(root, grid, cov, store, a.workers, None)
        show(f"{a.rows:,} rows/yr", m1, a.workers)
        if not a.no_grow:
            _, store10 = make_inputs(root, grid, ocean, a.rows * 10)
            m10 = measure(root, grid, cov, store10, a.workers, None)
            show(f"{a.rows * 10:,} rows/yr", m10, a.workers)
            print(f"peak RSS per worker x{m10['peak_rss'] / m1['peak_rss']:.2f} for 10x input "
                  f"({m1['peak_rss'] / 2**20:,.0f} -> {m10['peak_rss'] / 2**20:,.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
