"""Write one year's HDF5 partition file (one Dask task per year; the only writer of that file).

The file is written to ``year=YYYY.h5.tmp.<pid>`` and renamed with ``os.replace`` once complete and hashed, so a
killed task leaves at most a temp file, which is never accepted. Byte-deterministic: no HDF5 timestamps
(``track_times=False``), contiguous datasets (no compression/filters), attributes and datasets in a fixed order.
"""
from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import h5py
import numpy as np

from oxygen_contracts import schema
from oxygen_contracts.grid import GridSpec
from oxygen_contracts.hashing import sha256_file
from preprocessing.partition import features as feat
from preprocessing.partition.binning import BinnedYear
from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.folds import assign_folds
from preprocessing.partition.graph import Topology, edge_features, hub_edges
from preprocessing.partition.halo import ZonePart, zone_parts

H = schema.SERIES_HALF_WIDTH


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss it is not inherited across fork/exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _folds(grid, cfg: PartitionConfig, cells, year):
    f = cfg.folds
    return assign_folds(grid, cells, year, f.n_folds, f.scheme, f.seed, f.block_deg)


def node_observations(grid: GridSpec, cfg: PartitionConfig, cells: np.ndarray, year: int,
                      binned: dict[int, BinnedYear]) -> dict[str, np.ndarray]:
    """Observation-derived arrays for nodes ``cells`` in ``year`` from the binned years around it."""
    n = len(cells)
    out = {"series": np.full((n, schema.SERIES_LEN), np.nan, np.float32),
           "series_fold": np.full((n, schema.SERIES_LEN), schema.NO_FOLD, np.int8)}
    for s, d in enumerate(range(-H, H + 1)):
        b = binned.get(year + d)
        if d == 0 or b is None:
            continue
        pos, hit = b.lookup(cells)
        hit &= np.isfinite(b.o2[pos]) if len(b.cell) else hit
        out["series"][hit, s] = b.o2[pos[hit]]
        out["series_fold"][hit, s] = _folds(grid, cfg, cells[hit], year + d)
    out["series_mask"] = np.isfinite(out["series"])
    b = binned.get(year) or BinnedYear.empty(year)
    pos, hit = b.lookup(cells)
    y = np.full(n, np.nan, np.float32)
    y_std = np.full(n, np.nan, np.float32)
    cnt = np.zeros(n, np.int32)
    nut = np.full((n, 2), np.nan, np.float32)
    y[hit], y_std[hit], cnt[hit] = b.o2[pos[hit]], b.o2_std[pos[hit]], b.o2_count[pos[hit]]
    nut[hit, 0], nut[hit, 1] = b.po4[pos[hit]], b.no3[pos[hit]]
    node_fold = np.full(n, schema.NO_FOLD, np.int8)
    node_fold[hit] = _folds(grid, cfg, cells[hit], year)
    out["y"], out["y_std"], out["y_count"], out["nutrients"] = y, y_std, cnt, nut
    out["fold"] = np.where(cnt > 0, node_fold, schema.NO_FOLD).astype(np.int8)
    out["nutrients_fold"] = np.where(np.isfinite(nut).any(axis=1), node_fold, schema.NO_FOLD).astype(np.int8)
    return out


def _put(g: h5py.Group, name: str, data: np.ndarray) -> None:
    g.create_dataset(name, data=np.ascontiguousarray(data), track_times=False)


def write_year(out_dir: str, year: int, grid: GridSpec, cov_path: str, t_index: int, stats: dict,
               bottom: np.ndarray, topo: Topology, parts: list[ZonePart] | None, cfg: PartitionConfig,
               binned_list: list[BinnedYear]) -> dict:
    """Write ``year=YYYY.h5``; returns the manifest record of the file and its partitions."""
    t0 = time.perf_counter()
    binned = {b.year: b for b in binned_list}
    T, S = feat.read_year(cov_path, t_index)
    obs = node_observations(grid, cfg, topo.cells, year, binned)
    if cfg.hub.enabled:
        observed = np.isfinite(obs["y"])
        topo = topo.with_edges(*hub_edges(grid, topo, observed, cfg.hub.radius_km, cfg.hub.max_per_node))
        parts = zone_parts(grid, topo, cfg.layers)
    final = Path(out_dir) / schema.year_file(year)
    tmp = final.with_name(final.name + f".tmp.{os.getpid()}")
    records = []
    with h5py.File(tmp, "w", libver=("earliest", "v110")) as f:
        f.attrs["schema_version"] = np.int64(schema.SCHEMA_VERSION)
        f.attrs["year"] = np.int64(year)
        for p in parts:
            nodes = p.nodes.astype(np.int64)
            cells = topo.cells[nodes]
            owned = np.zeros(len(nodes), bool)
            owned[: p.n_owned] = True
            g = f.create_group(schema.zone_group(p.zone))
            g.attrs["zone"] = np.int64(p.zone)
            g.attrs["year"] = np.int64(year)
            g.attrs["n_owned"] = np.int64(p.n_owned)
            data = {
                "x": feat.node_features(grid, cells, T, S, stats, year, bottom),
                "meta": feat.node_meta(grid, cells),
                **{k: obs[k][nodes] for k in ("series", "series_mask", "series_fold", "y", "y_count", "fold",
                                              "nutrients", "nutrients_fold")},
                "cell": cells.astype(np.int64),
                "owned": owned,
                "edge_index": p.edge_index,
                "edge_attr": p.edge_attr if p.edge_attr is not None else edge_features(
                    grid, topo.cells[topo.src[p.edges]], topo.cells[topo.dst[p.edges]], topo.etype[p.edges]),
                "y_std": obs["y_std"][nodes],
            }
            for name in schema.PARTITION_DATASETS + schema.EXTRA_DATASETS:
                _put(g, name, data[name])
            records.append({"year": int(year), "zone": int(p.zone), "n_nodes": int(len(nodes)),
                            "n_owned": int(p.n_owned), "n_edges": int(p.edge_index.shape[1]),
                            "n_labelled": int(np.isfinite(data["y"][: p.n_owned]).sum())})
    sha = sha256_file(tmp)
    size = tmp.stat().st_size
    os.replace(tmp, final)
    b = binned.get(year)
    return {"year": int(year), "file": final.name, "sha256": sha, "bytes": int(size),
            "n_obs_rows": int(b.n_rows if b else 0), "n_obs_used": int(b.n_used if b else 0),
            "partitions": records, "n_nodes_total": int(sum(r["n_nodes"] for r in records)),
            "peak_rss": peak_rss_bytes(), "pid": os.getpid(), "seconds": time.perf_counter() - t0}
