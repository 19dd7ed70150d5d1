"""Phase 1 of ingest, one task per input file: read → common QC → staged Parquet + cast summary.

Staging is keyed by the input's content hash, so a re-run skips files already staged and redoes changed ones.
A file no reader can read becomes a report entry naming the file and the error; the task never raises.
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
from preprocessing.ingest.discover import READERS, InputFile, reader_module, route
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
    out["depths"] = g["depth"].agg(lambda s: np.sort(s.dropna().to_numpy(float)).tolist())
    out = out.reset_index()
    out["source"] = source
    out["chunk"] = chunk
    return out


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


def stage_file(f: InputFile, store: str, cfg: IngestConfig) -> dict:
    """Read, QC and stage one input file. Returns its staging record (also saved as JSON beside it)."""
    data_p, casts_p, meta_p = _stage_paths(store, f.chunk_id)
    digest = config_digest(cfg)
    if meta_p.exists():
        rec = json.loads(meta_p.read_text())
        if rec.get("config_digest") == digest and (rec["status"] != "ok" or data_p.exists()):
            rec["skipped"] = True
            return rec
    staging_dir(store).mkdir(parents=True, exist_ok=True)
    rec = {"config_digest": digest, "source": f.source, "file": f.path, "chunk": f.chunk_id,
           "sha256": f.sha256, "size": f.size, "reader": None, "status": "ok", "error": None,
           "problems": [], "lost_values": {}, "skipped": False}
    mod = route(f.source, f.path)
    if mod is None:
        rec.update(status="failed", error=unrecognised(f.source, f.path, cfg))
        _atomic_write_json(meta_p, rec)
        return rec
    rec["reader"] = mod.__name__.rsplit(".", 1)[-1]
    tmp_data = data_p.with_suffix(f".tmp{os.getpid()}")
    writer, casts = None, []
    try:
        for rows, problems, lost in _iter_frames(mod, f.path, cfg):
            rec["problems"] += [str(p) for p in problems]
            for v, n in lost.items():
                rec["lost_values"][v] = rec["lost_values"].get(v, 0) + int(n)
            if rows.empty:
                continue
            rows = apply_qc(rows, cfg.qc)
            rows.insert(0, "source_file", f.path)
            rows.insert(0, "source", f.source)
            table = pa.Table.from_pandas(rows, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp_data, table.schema)
            writer.write_table(table)
            casts.append(cast_summary(rows, f.source, f.chunk_id))
    except ReaderError as e:
        rec.update(status="failed", error=str(e))
    except Exception as e:  # a reader bug must still name the file, and the other files go on
        last = traceback.extract_tb(e.__traceback__)[-1]
        rec.update(status="failed", error=f"{f.path}: {type(e).__name__}: {e} (at {Path(last.filename).name}:{last.lineno})")
    finally:
        if writer is not None:
            writer.close()
    if rec["status"] == "ok":
        if writer is None:      # a readable file with no rows
            pq.write_table(pa.table({"source": pa.array([], pa.string())}), tmp_data)
        os.replace(tmp_data, data_p)
        cs = pd.concat(casts, ignore_index=True) if casts else pd.DataFrame(
            {"cast_id": [], "time": pd.Series([], dtype="datetime64[ns, UTC]"), "lat": [], "lon": [],
             **{f"n_{v}": [] for v in VARIABLES}, "depths": [], "source": [], "chunk": []})
        cs.to_parquet(casts_p, index=False)
    elif tmp_data.exists():
        tmp_data.unlink()
    _atomic_write_json(meta_p, rec)
    return rec
