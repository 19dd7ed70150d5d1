"""Phase 1 of ingest, one task per chunk (a big file, or a group of small ones): read → common QC → staged Parquet
+ cast summary.

Staging is keyed by the inputs' content hash (and the reader/QC settings), so a re-run skips chunks already staged
and redoes changed ones. A file no reader can read becomes a record naming the file and the error; the rest of the
chunk goes on and the task never raises.
"""
from __future__ import annotations

import hashlib
import json
import os
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from preprocessing.ingest.config import IngestConfig
from preprocessing.ingest.discover import Chunk, InputFile
from preprocessing.ingest.qc import apply_qc
from preprocessing.ingest.tempfiles import temp_path
from preprocessing.readers.base import REASON_SUFFIX, ReaderError, as_reasons, concat_rows
from preprocessing.readers.registry import READERS, reader_module, route
from oxygen_contracts.schema import CODE_ABSENT, CODE_GOOD, VARIABLES

STAGE_VERSION = 2     # 2: strings (cast_id, reasons, source, file) dictionary-encoded in the staged Parquet


def staging_dir(store: str) -> Path:
    return Path(store) / "_staging"


def _stage_paths(store: str, chunk: str) -> tuple[Path, Path, Path]:
    d = staging_dir(store)
    return d / f"{chunk}.parquet", d / f"{chunk}.casts.parquet", d / f"{chunk}.json"


def _atomic_write_json(path: Path, obj) -> None:
    tmp = temp_path(path)
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _iter_frames(mod, path: str, cfg: IngestConfig):
    """Reader output as (rows, problems, lost) parts: whole file, or chunks for readers that stream."""
    if hasattr(mod, "iter_read"):
        yield from ((r.rows, r.problems, r.lost_values) for r in mod.iter_read(path, cfg.readers, cfg.chunk_rows))
    else:
        r = mod.read(path, cfg.readers)
        yield r.rows, r.problems, r.lost_values


CASTS_SCHEMA = pa.schema([("cast_id", pa.string()), ("time", pa.timestamp("ns", tz="UTC")), ("lat", pa.float64()),
                          ("lon", pa.float64()), *[(f"n_{v}", pa.int64()) for v in VARIABLES],
                          ("depths", pa.list_(pa.float64())), ("source", pa.string()), ("chunk", pa.string()),
                          ("file", pa.string())])


def cast_summary(rows: pd.DataFrame, source: str, chunk: str, file: str) -> pa.Table:
    """One row per cast (sorted by cast_id): position and time (first non-null of the cast), the number of good
    values per variable, and the sorted depths at which it carries an oxygen entry (:data:`CASTS_SCHEMA`)."""
    codes, uniq = pd.factorize(rows["cast_id"])
    names = np.asarray(uniq, dtype=object).astype(str)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    key, k = rank[codes], len(order)
    time, lat, lon = _firsts(codes, key, k, rows["time"].array, rows["lat"].to_numpy(float),
                             rows["lon"].to_numpy(float))
    cols = [pa.array(names[order], pa.string()), pa.array(time, CASTS_SCHEMA.field("time").type), pa.array(lat),
            pa.array(lon)]
    for v in VARIABLES:
        cols.append(pa.array(np.bincount(key[as_reasons(rows[v + REASON_SUFFIX]).codes == CODE_GOOD],
                                         minlength=k).astype(np.int64)))
    ox = as_reasons(rows["oxygen" + REASON_SUFFIX]).codes
    depth = rows["depth"].to_numpy(float)
    cols.append(_sorted_depths(key, depth, (ox != CODE_ABSENT) & ~np.isnan(depth), k))
    cols += [pa.array(np.full(k, x, dtype=object), pa.string()) for x in (source, chunk, file)]
    return pa.Table.from_arrays(cols, schema=CASTS_SCHEMA)


def _firsts(codes: np.ndarray, key: np.ndarray, k: int, *columns) -> list:
    """Per cast key 0..k-1, the first non-null value of each column. Fast path: every cast is one run of rows
    (``codes`` numbers casts in order of appearance) with its first row non-null; else a groupby."""
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]])) if len(codes) else codes
    if len(starts) == k:
        firsts = [c[starts] for c in columns]         # cast codes[starts] == 0..k-1; key order = rank
        if not any(pd.isna(f).any() for f in firsts):
            back = np.empty(k, np.int64)
            back[key[starts]] = np.arange(k)
            return [f[back] for f in firsts]
    g = pd.DataFrame({i: c for i, c in enumerate(columns)}, copy=False).groupby(key, sort=True).first()
    return [g[i].array if isinstance(g[i].dtype, pd.DatetimeTZDtype) else g[i].to_numpy() for i in range(len(columns))]


def _sorted_depths(key: np.ndarray, depth: np.ndarray, keep: np.ndarray, k: int) -> pa.ListArray:
    """Per cast key 0..k-1, its kept depths sorted ascending (a list per cast)."""
    ck, dk = key[keep], depth[keep]
    def sorted_by(order):                         # (keys, depths) in this order, if it sorts them by (key, depth)
        c, d = ck[order], dk[order]
        ok = not ((np.diff(d) < 0) & (np.diff(c) == 0)).any() and not (np.diff(c) < 0).any()
        return (c, d) if ok else None

    # fast paths, each checked exactly: depths already ascending within consecutive casts; one sort of a single
    # float key (cast, depth) combined; else the two-key sort
    cd = sorted_by(np.argsort(ck, kind="stable"))
    if cd is None and len(dk):
        lo = dk.min()
        cd = sorted_by(np.argsort(ck * (dk.max() - lo + 1.0) + (dk - lo)))
    c, d = cd if cd is not None else sorted_by(np.lexsort((dk, ck)))
    offsets = np.searchsorted(c, np.arange(k + 1)).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(d))


def unrecognised(source: str, path: str, cfg: IngestConfig) -> str:
    """No reader claims the file: say what each reader of the source finds wrong with it (an empty file; an
    extension the reader does not read; else what reading it as that format reports)."""
    if os.path.getsize(path) == 0:
        return f"{path}: empty file (not readable as any {source} format)"
    why, ext = [], Path(path).suffix.lower()
    for name in READERS[source]:
        mod = reader_module(name)
        fmt, suffixes = getattr(mod, "FORMAT", name), getattr(mod, "SUFFIXES", None)
        if suffixes and ext not in suffixes:
            why.append(f"{name}: not a {fmt} file (extension {ext or 'none'!r} is not one of {', '.join(suffixes)})")
            continue
        try:
            mod.read(path, cfg.readers)
            why.append(f"{name}: not a {fmt} file (its content is not one)")
        except ReaderError as e:
            why.append(f"{name}: {e.problem.message}")
        except Exception as e:
            why.append(f"{name}: {type(e).__name__}: {e}")
    return f"{path}: not readable as any {source} format ({'; '.join(why)})"


def config_digest(cfg: IngestConfig) -> str:
    """What changes a file's staged content besides its bytes: reader options, QC settings, this code's version."""
    from oxygen_contracts.config import to_dict

    text = json.dumps([STAGE_VERSION, to_dict(cfg.readers), to_dict(cfg.qc)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_one(f: InputFile, cfg: IngestConfig, writer_box: list, tmp_data: Path, casts: list, chunk: str) -> dict:
    """Read one member file into the chunk's Parquet writer; its record (status, problems, lost values)."""
    rec = {"source": f.source, "file": f.path, "sha256": f.sha256, "size": f.size, "reader": None,
           "status": "ok", "error": None, "problems": [], "lost_values": {}}
    mod = route(f.source, f.path)
    if mod is None:
        rec.update(status="failed", error=unrecognised(f.source, f.path, cfg))
        return rec
    rec["reader"] = mod.__name__.rsplit(".", 1)[-1]
    parts = []
    try:
        for rows, problems, lost in _iter_frames(mod, f.path, cfg):
            rec["problems"] += [str(p) for p in problems]
            for v, n in lost.items():
                rec["lost_values"][v] = rec["lost_values"].get(v, 0) + int(n)
            if not rows.empty:
                parts.append(apply_qc(rows, cfg.qc))
                if len(parts) > 1 or _nbytes(rows) > (64 << 20):     # stream big files, batch small ones
                    _flush(parts, writer_box, tmp_data, casts, f, chunk)
    except ReaderError as e:
        rec.update(status="failed", error=str(e))
    except Exception as e:  # a reader bug must still name the file, and the other files go on
        last = traceback.extract_tb(e.__traceback__)[-1]
        rec.update(status="failed",
                   error=f"{f.path}: {type(e).__name__}: {e} (at {Path(last.filename).name}:{last.lineno})")
    if rec["status"] == "ok":
        _flush(parts, writer_box, tmp_data, casts, f, chunk)
    return rec


def _nbytes(df: pd.DataFrame) -> int:
    return int(df.memory_usage(index=False, deep=False).sum())


_DICT = pa.dictionary(pa.int32(), pa.string())
STAGE_SCHEMA = pa.schema(
    [("source", _DICT), ("source_file", _DICT), ("cast_id", _DICT), ("time", pa.timestamp("ns", tz="UTC")),
     *[(c, pa.float64()) for c in ("lat", "lon", "depth", "pressure")],
     *[f for v in VARIABLES for f in ((v, pa.float64()), (v + REASON_SUFFIX, _DICT))]])
# Parquet dictionary pages only for the string columns (hashing every float of a level would cost more than it saves)
_DICT_COLUMNS = [f.name for f in STAGE_SCHEMA if pa.types.is_dictionary(f.type)]


def _constant(value: str, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))


def _to_arrow(rows: pd.DataFrame, f: InputFile) -> pa.Table:
    """Reader rows (+ source, source_file) as a table of :data:`STAGE_SCHEMA`: strings dictionary-encoded."""
    t = pa.Table.from_pandas(rows, preserve_index=False)
    cols = [_constant(f.source, len(rows)), _constant(f.path, len(rows))]
    for field in STAGE_SCHEMA:
        if field.name in ("source", "source_file"):
            continue
        c = t.column(field.name)
        if pa.types.is_dictionary(field.type) and not pa.types.is_dictionary(c.type):
            c = pc.dictionary_encode(c)
        cols.append(c.cast(field.type))
    return pa.Table.from_arrays(cols, schema=STAGE_SCHEMA)


def _flush(parts: list, writer_box: list, tmp_data: Path, casts: list, f: InputFile, chunk: str) -> None:
    """Write collected frames (one file's rows) to the chunk's Parquet file. A failed file writes nothing."""
    if not parts:
        return
    rows = concat_rows(parts)
    parts.clear()
    table = _to_arrow(rows, f)
    if writer_box[0] is None:
        writer_box[0] = pq.ParquetWriter(tmp_data, STAGE_SCHEMA, use_dictionary=_DICT_COLUMNS,
                                         write_statistics=False)     # staging is read whole, never filtered
    writer_box[0].write_table(table)
    casts.append(cast_summary(rows, f.source, chunk, f.path))


def stage_chunk(c: Chunk, store: str, cfg: IngestConfig) -> dict:
    """Read, QC and stage one chunk. Returns its staging record (also saved as JSON beside it):
    ``{"chunk", "source", "config_digest", "years", "files": [per-file records], "skipped"}``."""
    data_p, casts_p, meta_p = _stage_paths(store, c.chunk_id)
    digest = config_digest(cfg)
    if meta_p.exists() and data_p.exists() and casts_p.exists():
        rec = json.loads(meta_p.read_text())
        if rec.get("config_digest") == digest:
            rec["skipped"] = True
            return rec
    staging_dir(store).mkdir(parents=True, exist_ok=True)
    tmp_data = temp_path(data_p)
    writer_box, casts, files = [None], [], []
    try:
        for f in c.files:
            files.append(_read_one(f, cfg, writer_box, tmp_data, casts, c.chunk_id))
    finally:
        if writer_box[0] is not None:
            writer_box[0].close()
    if writer_box[0] is None:      # no readable rows at all
        pq.write_table(pa.table({"source": pa.array([], pa.string())}), tmp_data)
    os.replace(tmp_data, data_p)
    cs = pa.concat_tables(casts) if casts else CASTS_SCHEMA.empty_table()
    pq.write_table(cs, casts_p)
    t = cs.column("time").to_numpy()
    years = sorted(set((t[~np.isnat(t)].astype("datetime64[Y]").astype(np.int64) + 1970).tolist()))
    rec = {"chunk": c.chunk_id, "source": c.source, "config_digest": digest, "years": years, "files": files,
           "skipped": False}
    _atomic_write_json(meta_p, rec)
    return rec
