"""Phase 2 of ingest: find casts present more than once, one task per year.

* Across sources: two casts of different sources within ``position_tol_deg``, ``time_tol_minutes`` whose oxygen
  levels match within ``depth_tol_m`` (at least ``min_shared_levels`` of the lower-priority cast's levels) are one
  cast; the lower-priority source's matching levels are rejected as ``duplicate``.
* Within a source: the same ``cast_id`` in several files (an Argo profile in its R, BR and S files) — the file with
  the most good values keeps it; the others' levels are rejected as ``duplicate``.

Result: per chunk, a list of (cast_id, depth) levels to reject. Casts within the time tolerance of a year boundary
are compared with the neighbouring year's casts too (the year that owns the losing cast reports it).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from preprocessing.ingest.config import DuplicateConfig


def _matched_depths(loser: list, winner: list, tol: float) -> list:
    if not loser or not winner:
        return []
    w = np.asarray(winner, float)
    out = []
    for d in loser:
        if np.min(np.abs(w - d)) <= tol:
            out.append(float(d))
    return out


def find_duplicates(casts: pd.DataFrame, year: int, cfg: DuplicateConfig) -> dict[str, list[tuple[str, float | None]]]:
    """``casts``: cast summaries of ``year`` (plus boundary casts of neighbouring years).

    Returns chunk -> [(cast_id, depth)], depth None = every level of that cast."""
    out: dict[str, list] = {}
    if casts.empty:
        return out
    casts = casts.reset_index(drop=True)
    years = pd.to_datetime(casts["time"], utc=True).dt.year.to_numpy()
    owns = years == year
    prio = {s: i for i, s in enumerate(cfg.priority)}

    # within a source: same cast id in several chunks
    same = casts[owns].groupby(["source", "cast_id"]).filter(lambda g: g["chunk"].nunique() > 1)
    for (_, cid), g in same.groupby(["source", "cast_id"], sort=True):
        g = g.sort_values(["n_good", "chunk"], ascending=[False, True])
        for chunk in g["chunk"].iloc[1:]:
            out.setdefault(chunk, []).append((cid, None))

    # across sources: KD-tree on scaled (lat, lon, time) with the Chebyshev metric
    t_min = pd.to_datetime(casts["time"], utc=True).astype("int64").to_numpy() / 6e10
    pts = np.column_stack([casts["lat"].to_numpy(float) / cfg.position_tol_deg,
                           casts["lon"].to_numpy(float) / cfg.position_tol_deg,
                           t_min / cfg.time_tol_minutes])
    ok = np.isfinite(pts).all(axis=1)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return out
    pairs = cKDTree(pts[idx]).query_pairs(r=1.0, p=np.inf, output_type="ndarray")
    src = casts["source"].to_numpy(object)
    for a, b in idx[pairs] if len(pairs) else []:
        if src[a] == src[b]:
            continue
        pa_, pb = prio.get(src[a], len(prio)), prio.get(src[b], len(prio))
        win, lose = (a, b) if (pa_, casts["chunk"][a]) < (pb, casts["chunk"][b]) else (b, a)
        if not owns[lose]:
            continue
        ld = casts["depths"][lose]
        ld = list(ld) if ld is not None else []
        matched = _matched_depths(ld, list(casts["depths"][win] or []), cfg.depth_tol_m)
        if ld and len(matched) >= cfg.min_shared_levels * len(ld):
            out.setdefault(casts["chunk"][lose], []).extend((casts["cast_id"][lose], d) for d in matched)
    return {k: sorted(set(v), key=lambda t: (t[0], -1.0 if t[1] is None else t[1])) for k, v in sorted(out.items())}


def mark_duplicates(rows: pd.DataFrame, levels: list, depth_tol: float) -> np.ndarray:
    """Boolean mask of ``rows`` (reader rows) that belong to the duplicate levels ``[(cast_id, depth|None)]``."""
    mask = np.zeros(len(rows), bool)
    if not levels:
        return mask
    whole = {c for c, d in levels if d is None}
    cast = rows["cast_id"].to_numpy(object)
    mask |= np.isin(cast, list(whole)) if whole else False
    lv = pd.DataFrame([(c, d) for c, d in levels if d is not None], columns=["cast_id", "dup_depth"])
    if len(lv):
        r = pd.DataFrame({"cast_id": cast, "depth": rows["depth"].to_numpy(float), "row": np.arange(len(rows))})
        m = r.merge(lv, on="cast_id", how="inner")
        mask[m.loc[(m["depth"] - m["dup_depth"]).abs() <= depth_tol, "row"].to_numpy()] = True
    return mask
