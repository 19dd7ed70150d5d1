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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from preprocessing.ingest.dedup import mark_duplicates
from preprocessing.ingest.tempfiles import temp_path
from preprocessing.readers.base import REASON_SUFFIX, ReasonCodes
from oxygen_contracts.schema import (CODE_ABSENT, CODE_DUPLICATE, CODE_GOOD, CODE_MISSING, REJECTED_COLUMNS,
                                  STORE_COLUMNS, VARIABLES)

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
    tmp = temp_path(path)
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def empty_counts() -> dict:
    return {v: {"read": 0, "accepted": 0, "rejected": {}} for v in VARIABLES}


def _add_counts(counts: dict, fcodes: np.ndarray, fnames: list, var: str, codes: np.ndarray, names: list) -> None:
    """Count ``var``'s entries per (file, reason): ``fcodes``/``codes`` index ``fnames``/``names``."""
    present = codes != CODE_ABSENT
    if not present.any():
        return
    k = len(names)
    per = np.bincount(fcodes[present].astype(np.int64) * k + codes[present], minlength=len(fnames) * k)
    for i in np.flatnonzero(per).tolist():
        f, r, n = fnames[i // k], names[i % k], int(per[i])
        c = counts.setdefault(f, empty_counts())[var]
        c["read"] += n
        if r == "":
            c["accepted"] += n
        else:
            c["rejected"][r] = c["rejected"].get(r, 0) + n


def _dict_codes(col: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """A staged string column as (integer codes, names)."""
    col = col.combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    return col.indices.to_numpy(zero_copy_only=False), col.dictionary.to_pylist()


def _reason_codes(col: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """A staged reason column as codes whose first names are REASON_CODES (fixed codes)."""
    idx, names = _dict_codes(col)
    table = ReasonCodes()
    mapping = np.asarray([table.code(n) for n in names] or [0], dtype=np.int32)
    return mapping[idx], table.names


def _years(t: pa.Table) -> np.ndarray:
    """Calendar year per row (0 where the time is missing)."""
    ts = t.column("time").to_numpy()
    y = ts.astype("datetime64[Y]").astype(np.int64) + 1970
    y[np.isnat(ts)] = 0
    return y


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
    t = pq.read_table(Path(store) / "_staging" / f"{chunk}.parquet")
    outputs: list[str] = []
    if t.num_rows == 0 or "cast_id" not in t.column_names:
        return {"files": outputs, "counts": counts}
    dup = (mark_duplicates(t.select(["source_file", "cast_id", "depth"]).to_pandas(), dup_levels, depth_tol)
           if dup_levels else None)
    fcodes, fnames = _dict_codes(t.column("source_file"))
    accepted_any = np.zeros(t.num_rows, bool)
    rejected_parts, store_cols = [], {}
    where = ["source", "source_file", "cast_id", "time", "lat", "lon", "depth"]
    for v in VARIABLES:
        codes, names = _reason_codes(t.column(v + REASON_SUFFIX))
        if dup is not None:
            codes[dup[v] & (codes == CODE_GOOD)] = CODE_DUPLICATE
        _add_counts(counts, fcodes, fnames, v, codes, names)
        good = codes == CODE_GOOD
        accepted_any |= good
        keep = ~good & (codes != CODE_ABSENT) & (codes != CODE_MISSING)
        if keep.any():
            part = t.select(where).filter(pa.array(keep))
            reason = np.asarray(names, dtype=object)[codes[keep]]
            part = part.append_column("variable", pa.array(np.full(len(reason), v, dtype=object), pa.string()))
            part = part.append_column("value", t.column(v).filter(pa.array(keep)))
            rejected_parts.append(part.append_column("reason", pa.array(reason, pa.string())))
        store_cols[v] = pc.if_else(pa.array(good), t.column(v), pa.scalar(None, pa.float64()))
    acc = pa.table({c: store_cols.get(c, t.column(c)) for c in STORE_COLUMNS})
    acc = acc.filter(pa.array(accepted_any))
    _write_by_year(acc, STORE_SCHEMA, lambda y: Path(store) / f"year={y}" / f"{chunk}.parquet", store, outputs)
    if rejected_parts:
        rej = pa.concat_tables(rejected_parts)
        _write_by_year(rej, REJECTED_SCHEMA, lambda y: Path(store) / "rejected" / f"year={y}" / f"{chunk}.parquet",
                       store, outputs)
    return {"files": outputs, "counts": counts}


def _write_by_year(t: pa.Table, schema: pa.Schema, path_of, store: str, outputs: list) -> None:
    """One file per calendar year of ``t`` (rows in their order), columns cast to ``schema`` (strings decoded)."""
    if t.num_rows == 0:
        return
    years = _years(t)
    cols = [pc.cast(t.column(f.name), f.type, safe=False) for f in schema]
    t = pa.Table.from_arrays(cols, schema=schema)
    for y in np.unique(years).tolist():
        p = path_of(int(y))
        _write(t.filter(pa.array(years == y)), p)
        outputs.append(str(p.relative_to(store)))
