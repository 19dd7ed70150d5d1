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
import pyarrow.parquet as pq

from preprocessing.ingest.config import IngestConfig
from preprocessing.ingest.discover import READERS, Chunk, InputFile, reader_module, route
from preprocessing.ingest.qc import apply_qc
from preprocessing.readers.base import REASON_SUFFIX, ReaderError
from preprocessing.schema import VARIABLES

STAGE_VERSION = 1


def staging_dir(store: str) -> Path:
    return Path(store) / "_staging"


def _stage_paths(store: str, chunk: str) -> tuple[Path, Path, Path]:
    d = staging_dir(store)
    return d / f"{chunk}.parquet", d / f"{chunk}.casts.parquet", d / f"{chunk}.json"


def _atomic_write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _iter_frames(mod, path: str, cfg: IngestConfig):
    """Reader output as (rows, problems, lost) parts: whole file, or chunks for readers that stream."""
    if hasattr(mod, "iter_read"):
        yield from ((r.rows, r.problems, r.lost_values) for r in mod.iter_read(path, cfg.readers, cfg.chunk_rows))
    else:
        r = mod.read(path, cfg.readers)
        yield r.rows, r.problems, r.lost_values


def cast_summary(rows: pd.DataFrame, source: str, chunk: str) -> pd.DataFrame:
    """One row per cast: position, time, and the depths at which it carries an oxygen entry."""
    has_ox = rows["oxygen" + REASON_SUFFIX].to_numpy(object) != "absent"
    df = pd.DataFrame({"cast_id": rows["cast_id"], "time": rows["time"], "lat": rows["lat"], "lon": rows["lon"],
                       "depth": rows["depth"].where(has_ox)})
    for v in VARIABLES:
        df[f"n_{v}"] = (rows[v + REASON_SUFFIX].to_numpy(object) == "").astype(np.int64)
    g = df.groupby("cast_id", sort=True)
    out = g.agg(time=("time", "first"), lat=("lat", "first"), lon=("lon", "first"),
                **{f"n_{v}": (f"n_{v}", "sum") for v in VARIABLES})
    out["depths"] = _sorted_depths(df["cast_id"], df["depth"].to_numpy(float), out.index)
    out = out.reset_index()
    out["source"] = source
    out["chunk"] = chunk
    out["file"] = rows["source_file"].iloc[0]
    return out


def _sorted_depths(cast_id: pd.Series, depth: np.ndarray, keys: pd.Index) -> list:
    """Per cast (in the order of ``keys``), its finite depths sorted ascending as a list (vectorised groupby)."""
    codes, uniq = pd.factorize(cast_id)
    keep = ~np.isnan(depth)
    ck, dk = codes[keep], depth[keep]
    order = np.lexsort((dk, ck))
    ck, dk = ck[order], dk[order]
    lists = [a.tolist() for a in np.split(dk, np.searchsorted(ck, np.arange(1, len(uniq))))]
    pos = pd.Index(uniq).get_indexer(keys)
    return [lists[i] for i in pos]


def unrecognised(source: str, path: str, cfg: IngestConfig) -> str:
    """No reader claims the file: say what each reader of the source finds wrong with it."""
    why = []
    for name in READERS[source]:
        try:
            reader_module(name).read(path, cfg.readers)
            why.append(f"{name}: reads but does not claim it")
        except ReaderError as e:
            why.append(f"{name}: {e.problem.message}")
        except Exception as e:
            why.append(f"{name}: {type(e).__name__}: {e}")
    return f"{path}: not readable as any {source} format ({'; '.join(why)})"


def config_digest(cfg: IngestConfig) -> str:
    """What changes a file's staged content besides its bytes: reader options, QC settings, this code's version."""
    from preprocessing.config import to_dict

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
                rows = apply_qc(rows, cfg.qc)
                rows.insert(0, "source_file", f.path)
                rows.insert(0, "source", f.source)
                parts.append(rows)
                if len(parts) > 1 or _nbytes(rows) > (64 << 20):     # stream big files, batch small ones
                    _flush(parts, writer_box, tmp_data, casts, f.source, chunk)
    except ReaderError as e:
        rec.update(status="failed", error=str(e))
    except Exception as e:  # a reader bug must still name the file, and the other files go on
        last = traceback.extract_tb(e.__traceback__)[-1]
        rec.update(status="failed",
                   error=f"{f.path}: {type(e).__name__}: {e} (at {Path(last.filename).name}:{last.lineno})")
    if rec["status"] == "ok":
        _flush(parts, writer_box, tmp_data, casts, f.source, chunk)
    return rec


def _nbytes(df: pd.DataFrame) -> int:
    return int(df.memory_usage(index=False, deep=False).sum())


def _flush(parts: list, writer_box: list, tmp_data: Path, casts: list, source: str, chunk: str) -> None:
    """Write collected frames (one file's rows) to the chunk's Parquet file. A failed file writes nothing."""
    if not parts:
        return
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    parts.clear()
    table = pa.Table.from_pandas(rows, preserve_index=False)
    if writer_box[0] is None:
        writer_box[0] = pq.ParquetWriter(tmp_data, table.schema)
    writer_box[0].write_table(table.cast(writer_box[0].schema) if table.schema != writer_box[0].schema else table)
    casts.append(cast_summary(rows, source, chunk))


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
    tmp_data = data_p.with_suffix(f".tmp{os.getpid()}")
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
    cs = pd.concat(casts, ignore_index=True) if casts else pd.DataFrame(
        {"cast_id": [], "time": pd.Series([], dtype="datetime64[ns, UTC]"), "lat": [], "lon": [],
         **{f"n_{v}": [] for v in VARIABLES}, "depths": [], "source": [], "chunk": [], "file": []})
    cs.to_parquet(casts_p, index=False)
    years = sorted(set(pd.to_datetime(cs["time"], utc=True).dt.year.dropna().astype(int).tolist()))
    rec = {"chunk": c.chunk_id, "source": c.source, "config_digest": digest, "years": years, "files": files,
           "skipped": False}
    _atomic_write_json(meta_p, rec)
    return rec
