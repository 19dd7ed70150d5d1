"""Ingest on Dask: stage every file (phase 1), find duplicates per year (phase 2), write the store (phase 3).

Idempotent: staging is keyed by content hash; a chunk's outputs are rewritten only when its content or its
duplicate decisions changed; outputs of inputs that disappeared are removed. ``_state.json`` records it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from preprocessing.cluster import open_client
from preprocessing.ingest.config import IngestConfig
from preprocessing.ingest.dedup import find_duplicates, sort_key
from preprocessing.ingest.discover import discover, make_chunks
from preprocessing.ingest.finalize import decisions_digest, finalize_chunk
from preprocessing.ingest.report import build_report
from preprocessing.ingest.stage import stage_chunk
from preprocessing.ingest.tempfiles import remove_stale, temp_path


def _run(client, fn, items, desc, *args):
    futures = [client.submit(fn, it, *args, key=f"{desc}-{i}-{abs(hash(repr(it))) % 10**10}", pure=False)
               for i, it in enumerate(items)]
    results = [None] * len(futures)
    index = {f.key: i for i, f in enumerate(futures)}
    from distributed import as_completed

    for fut in tqdm(as_completed(futures), total=len(futures), desc=desc, unit="task", leave=False):
        results[index[fut.key]] = fut.result()
    return results


def _casts_for_year(store: str, recs: list[dict], year: int, tol_minutes: float) -> pd.DataFrame:
    pad = pd.Timedelta(minutes=tol_minutes)
    lo = pd.Timestamp(f"{year}-01-01", tz="UTC") - pad
    hi = pd.Timestamp(f"{year + 1}-01-01", tz="UTC") + pad
    parts = []
    for r in recs:
        df = pd.read_parquet(Path(store) / "_staging" / f"{r['chunk']}.casts.parquet")
        if len(df):
            t = pd.to_datetime(df["time"], utc=True)
            parts.append(df[(t >= lo) & (t < hi)])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _dedup_year(job, store: str, cfg) -> dict:
    year, recs = job
    return find_duplicates(_casts_for_year(store, recs, year, cfg.time_tol_minutes), year, cfg)


def run_ingest(cfg: IngestConfig, store: str, cluster: str | None = None, workers: int | None = None) -> dict:
    store = os.path.abspath(store)
    Path(store).mkdir(parents=True, exist_ok=True)
    stale = remove_stale(store)                           # temporaries of a killed run (never a live process's)
    files, unmatched = discover(cfg.sources)
    chunks = make_chunks(files)
    state_p = Path(store) / "_state.json"
    state = json.loads(state_p.read_text()) if state_p.exists() else {"chunks": {}}
    with open_client(cluster, n_workers=workers) as client:
        recs = _run(client, stage_chunk, chunks, "read", store, cfg)
        years_by_chunk = {r["chunk"]: set(r["years"]) for r in recs}
        years = sorted(set().union(*years_by_chunk.values())) if recs else []
        jobs = [(y, [r for r in recs if years_by_chunk[r["chunk"]] & {y - 1, y, y + 1}]) for y in years]
        per_year = _run(client, _dedup_year, jobs, "duplicates", store, cfg.duplicates)
        decisions: dict[str, list] = {}
        for d in per_year:
            for chunk, levels in d.items():
                decisions.setdefault(chunk, []).extend(levels)
        todo, results = [], {}
        for r in recs:
            levels = sorted(decisions.get(r["chunk"], []), key=sort_key)
            digest = decisions_digest([r["config_digest"], levels])
            prev = state["chunks"].get(r["chunk"])
            if prev and prev["digest"] == digest and all((Path(store) / p).exists() for p in prev["files"]):
                results[r["chunk"]] = prev
            else:
                todo.append((r, levels, digest))
        outs = _run(client, _finalize, todo, "write", store, cfg.duplicates.depth_tol_m)
    for (r, _, digest), out in zip(todo, outs):
        results[r["chunk"]] = {"digest": digest, **out}
    live = set(results)
    for chunk, prev in state["chunks"].items():           # inputs that went away: remove their outputs
        if chunk not in live:
            for p in prev["files"]:
                (Path(store) / p).unlink(missing_ok=True)
    new_state = {"chunks": {c: results[c] for c in sorted(results)}}
    tmp = temp_path(state_p)
    tmp.write_text(json.dumps(new_state, sort_keys=True))
    os.replace(tmp, state_p)
    report = build_report(recs, results, unmatched, n_rewritten=len(todo))
    report["stale_temporaries_removed"] = stale
    (Path(store) / "ingest_report.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    return report


def _finalize(item, store, depth_tol):
    rec, levels, _ = item
    return finalize_chunk(store, rec, levels, depth_tol)
