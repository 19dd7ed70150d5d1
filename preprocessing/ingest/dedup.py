"""Phase 2 of ingest: find casts present more than once, one task per year.

* Across sources: two casts of different sources within ``position_tol_deg``, ``time_tol_minutes`` whose oxygen
  levels match within ``depth_tol_m`` (at least ``min_shared_levels`` of the lower-priority cast's levels) are one
  cast; the lower-priority source's matching levels are rejected as ``duplicate``.
* Within a source: the same ``cast_id`` in several files (an Argo profile in its R, BR and S files) — per variable,
  the file that carries the most variables (an S-file merges core + B) keeps it, then the one with the most good
  values of it; the other files' values of that variable are
  rejected as ``duplicate`` (so a B-file's oxygen survives beside an R-file's temperature when no S-file exists).

Result: per chunk, a list of ``(cast_id, depth | None, variable | None, file)`` to reject (None = every level /
every variable). Casts within the time tolerance of a year boundary
are compared with the neighbouring year's casts too (the year that owns the losing cast reports it).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from preprocessing.ingest.config import DuplicateConfig
from oxygen_contracts.schema import VARIABLES


def _as_list(depths) -> list:
    return [] if depths is None else [float(d) for d in depths]


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

    Returns chunk -> [(cast_id, depth | None, variable | None, file)]."""
    out: dict[str, list] = {}
    if casts.empty:
        return out
    casts = casts.reset_index(drop=True)
    years = pd.to_datetime(casts["time"], utc=True).dt.year.to_numpy()
    owns = years == year
    prio = {s: i for i, s in enumerate(cfg.priority)}

    # within a source: same cast id in several chunks
    same = casts[owns].groupby(["source", "cast_id"]).filter(lambda g: g["file"].nunique() > 1)
    for (_, cid), g in same.groupby(["source", "cast_id"], sort=True):
        g = g.assign(n_vars=(g[[f"n_{v}" for v in VARIABLES]] > 0).sum(axis=1))
        for v in VARIABLES:
            g = g.assign(has=g[f"n_{v}"] > 0).sort_values(["has", "n_vars", f"n_{v}", "file"],
                                                          ascending=[False, False, False, True])
            for chunk, file in zip(g["chunk"].iloc[1:], g["file"].iloc[1:]):
                out.setdefault(chunk, []).append((cid, None, v, file))

    # across sources: KD-tree on scaled (lat, lon, time) with the Chebyshev metric
    epoch = pd.Timestamp("1900-01-01", tz="UTC")
    t_min = ((pd.to_datetime(casts["time"], utc=True) - epoch) / pd.Timedelta(minutes=1)).to_numpy(float)
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
        win, lose = (a, b) if (pa_, casts["file"][a]) < (pb, casts["file"][b]) else (b, a)
        if not owns[lose]:
            continue
        ld = _as_list(casts["depths"][lose])
        matched = _matched_depths(ld, _as_list(casts["depths"][win]), cfg.depth_tol_m)
        if ld and len(matched) >= cfg.min_shared_levels * len(ld):
            out.setdefault(casts["chunk"][lose], []).extend(
                (casts["cast_id"][lose], d, None, casts["file"][lose]) for d in matched)
    return {k: sorted(set(v), key=sort_key) for k, v in sorted(out.items())}


def sort_key(t):
    return (t[3], t[0], -1.0 if t[1] is None else t[1], t[2] or "")


def mark_duplicates(rows: pd.DataFrame, levels: list, depth_tol: float) -> dict[str, np.ndarray]:
    """Per variable, a boolean mask of ``rows`` (reader rows with ``source_file``) hit by
    ``[(cast_id, depth|None, variable|None, file)]``."""
    masks = {v: np.zeros(len(rows), bool) for v in VARIABLES}
    if not levels:
        return masks
    key = pd.Series(rows["source_file"].astype(str).to_numpy(object) + "\t" + rows["cast_id"].astype(str).to_numpy(object))
    for v in VARIABLES:
        whole = {f"{f}\t{c}" for c, d, var, f in levels if d is None and var in (None, v)}
        if whole:
            masks[v] |= key.isin(whole).to_numpy()
    lv = pd.DataFrame([(f"{f}\t{c}", d) for c, d, _, f in levels if d is not None], columns=["key", "dup_depth"])
    if len(lv):
        r = pd.DataFrame({"key": key, "depth": rows["depth"].to_numpy(float), "row": np.arange(len(rows))})
        m = r.merge(lv, on="key", how="inner")
        hit = m.loc[(m["depth"] - m["dup_depth"]).abs() <= depth_tol, "row"].to_numpy()
        for v in VARIABLES:
            masks[v][hit] = True
    return masks
