"""``manifest.json``: every partition file and partition, checksums, grid, feature names, normalisation, config.

The manifest is rewritten atomically after every finished year (a killed run keeps what it finished); entries
are sorted by year and zone, so the final manifest does not depend on the order in which years finished or on
the number of workers. It holds no timestamps, host names or the output path.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from oxygen_contracts import schema
from oxygen_contracts.grid import GridSpec
from oxygen_contracts.hashing import sha256_file
from oxygen_contracts.manifest import FILE_KEYS, MANIFEST, PART_KEYS
from preprocessing.partition import features as feat
from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.graph import EDGE_FEATURE_NAMES, edge_scales



def header(cfg: PartitionConfig, grid: GridSpec, cov_stats: dict, store: str | None, covariates: str) -> dict:
    """Everything but the file list: what a re-run must match for its files to be reused."""
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "datasets": list(schema.PARTITION_DATASETS) + list(schema.EXTRA_DATASETS),
        "grid": grid.to_dict(),
        "layers": cfg.layers,
        "series_offsets": list(range(-schema.SERIES_HALF_WIDTH, schema.SERIES_HALF_WIDTH + 1)),
        "feature_names": list(feat.FEATURE_NAMES),
        "meta_names": list(feat.meta_names(grid.n_zones)),
        "edge_feature_names": list(EDGE_FEATURE_NAMES),
        "normalisation": {"covariates": cov_stats, "observations": dict(vars(cfg.normalisation)),
                          "edges": edge_scales(grid)},
        "inputs": {"store": os.path.abspath(store) if store else None,
                   "covariates": os.path.abspath(covariates)},
        "config": cfg.fingerprint(),
    }


def build(head: dict, records: list[dict]) -> dict:
    recs = sorted(records, key=lambda r: r["year"])
    files = [{k: r[k] for k in FILE_KEYS} for r in recs]
    parts = [{k: p[k] for k in PART_KEYS} for r in recs for p in sorted(r["partitions"], key=lambda p: p["zone"])]
    totals = {"files": len(files), "partitions": len(parts), "nodes": sum(p["n_nodes"] for p in parts),
              "owned": sum(p["n_owned"] for p in parts), "edges": sum(p["n_edges"] for p in parts),
              "labelled": sum(p["n_labelled"] for p in parts), "bytes": sum(f["bytes"] for f in files),
              "obs_rows": sum(f["n_obs_rows"] for f in files)}
    return {**head, "totals": totals, "files": files, "partitions": parts}


def records_of(manifest: dict) -> list[dict]:
    """Turn a manifest back into per-file records (for merging a re-run)."""
    by_year = {f["year"]: {**f, "partitions": []} for f in manifest.get("files", [])}
    for p in manifest.get("partitions", []):
        if p["year"] in by_year:
            by_year[p["year"]]["partitions"].append(p)
    return list(by_year.values())


def write(out: str | Path, manifest: dict) -> Path:
    path = Path(out) / MANIFEST
    tmp = path.with_name(MANIFEST + f".tmp.{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(tmp, path)
    return path


def load(out: str | Path) -> dict | None:
    """The previous manifest as a dict, or None when there is none to reuse (the writer's own lenient view; every
    consumer of partitions reads through ``oxygen_contracts.manifest.PartitionManifest``)."""
    path = Path(out) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def reusable(out: str | Path, head: dict) -> list[dict]:
    """Records of files that exist and match the previous manifest's sha256, if its header equals ``head``."""
    old = load(out)
    if old is None or any(old.get(k) != v for k, v in head.items()):
        return []
    keep = []
    for r in records_of(old):
        p = Path(out) / r["file"]
        if p.is_file() and p.stat().st_size == r["bytes"] and sha256_file(p) == r["sha256"]:
            keep.append(r)
    return keep
