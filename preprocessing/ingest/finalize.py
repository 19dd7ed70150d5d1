"""Phase 3 of ingest, one task per staged chunk: apply duplicate decisions, write the store and the rejects.

Outputs of a chunk: ``<store>/year=YYYY/<chunk>.parquet`` (accepted values; a level is kept if any variable is
accepted, the others are NaN) and ``<store>/rejected/year=YYYY/<chunk>.parquet`` (one row per rejected value with
its reason; fill values counted as ``missing`` are counted in the report but not written). Each file is written by
this task alone, to a temporary name, then renamed. Counts per variable: read = accepted + Σ rejected.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from preprocessing.ingest.dedup import mark_duplicates
from preprocessing.readers.base import REASON_SUFFIX
from preprocessing.schema import REASON_DUPLICATE, REASON_MISSING, REJECTED_COLUMNS, STORE_COLUMNS, VARIABLES

REASON_UNREADABLE = "unreadable"   # values lost to a located problem (malformed line, broken profile)


def _arrow_schema(columns: dict) -> pa.Schema:
    types = {"string": pa.string(), "float64": pa.float64(), "float32": pa.float32(),
             "timestamp[ns, tz=UTC]": pa.timestamp("ns", tz="UTC")}
    return pa.schema([(c, types[t]) for c, t in columns.items()])


STORE_SCHEMA = _arrow_schema(STORE_COLUMNS)
REJECTED_SCHEMA = _arrow_schema(REJECTED_COLUMNS)


def decisions_digest(levels: list) -> str:
    return hashlib.sha256(json.dumps(levels, sort_keys=True).encode()).hexdigest()[:16]


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def empty_counts() -> dict:
    return {v: {"read": 0, "accepted": 0, "rejected": {}} for v in VARIABLES}


def _add_counts(counts: dict, files: np.ndarray, var: str, reason: np.ndarray) -> None:
    present = reason != "absent"
    if not present.any():
        return
    vc = pd.DataFrame({"f": files[present], "r": reason[present].astype(str)}).value_counts(sort=False)
    for (f, r), n in vc.items():
        c = counts.setdefault(f, empty_counts())[var]
        c["read"] += int(n)
        if r == "":
            c["accepted"] += int(n)
        else:
            c["rejected"][r] = c["rejected"].get(r, 0) + int(n)


def finalize_chunk(store: str, rec: dict, dup_levels: list, depth_tol: float) -> dict:
    """Write a staged chunk's outputs; returns ``{"files": [outputs], "counts": {input file: counts}}``."""
    chunk = rec["chunk"]
    counts: dict[str, dict] = {}
    for f in rec["files"]:
        if f["status"] != "ok":
            continue
        c = counts.setdefault(f["file"], empty_counts())
        for v, n in f.get("lost_values", {}).items():
            c[v]["read"] += int(n)
            c[v]["rejected"][REASON_UNREADABLE] = c[v]["rejected"].get(REASON_UNREADABLE, 0) + int(n)
    rows = pq.read_table(Path(store) / "_staging" / f"{chunk}.parquet").to_pandas()
    outputs: list[str] = []
    if len(rows) == 0 or "cast_id" not in rows:
        return {"files": outputs, "counts": counts}
    dup = mark_duplicates(rows, dup_levels, depth_tol)
    src_files = rows["source_file"].to_numpy(object)
    accepted_any = np.zeros(len(rows), bool)
    rejected_parts = []
    for v in VARIABLES:
        reason = rows[v + REASON_SUFFIX].to_numpy(object).copy()
        reason[dup[v] & (reason == "")] = REASON_DUPLICATE
        _add_counts(counts, src_files, v, reason)
        good = reason == ""
        accepted_any |= good
        keep = ~good & (reason != "absent") & (reason != REASON_MISSING)
        if keep.any():
            part = rows.loc[keep, ["source", "source_file", "cast_id", "time", "lat", "lon", "depth"]].copy()
            part["variable"] = v
            part["value"] = rows.loc[keep, v].to_numpy(float)
            part["reason"] = reason[keep]
            rejected_parts.append(part)
        rows.loc[~good, v] = np.nan
    years = pd.to_datetime(rows["time"], utc=True).dt.year
    acc = rows.loc[accepted_any, list(STORE_COLUMNS)]
    for y, g in acc.groupby(years[accepted_any], sort=True):
        p = Path(store) / f"year={int(y)}" / f"{chunk}.parquet"
        _write(pa.Table.from_pandas(g, schema=STORE_SCHEMA, preserve_index=False), p)
        outputs.append(str(p.relative_to(store)))
    if rejected_parts:
        rej = pd.concat(rejected_parts, ignore_index=True)
        ry = pd.to_datetime(rej["time"], utc=True).dt.year
        for y, g in rej.groupby(ry.fillna(0).astype(int), sort=True):
            p = Path(store) / "rejected" / f"year={int(y)}" / f"{chunk}.parquet"
            _write(pa.Table.from_pandas(g, schema=REJECTED_SCHEMA, preserve_index=False), p)
            outputs.append(str(p.relative_to(store)))
    return {"files": outputs, "counts": counts}
