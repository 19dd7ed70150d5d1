"""Common quality control applied after the readers: ranges, O2 supersaturation at depth, positions.

Works on reader rows (``preprocessing.readers.base``): only values whose reason is still "" are checked, and a
failing value gets its reason ("range", "supersaturation", "bad_position"); nothing is dropped here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from preprocessing import units
from preprocessing.ingest.config import QCConfig
from preprocessing.readers.base import REASON_SUFFIX, as_reasons
from oxygen_contracts.schema import CODE_GOOD, CODE_POSITION, CODE_RANGE, CODE_SUPERSAT, VARIABLES

DEFAULT_RANGES = QCConfig().ranges


def apply_qc(rows: pd.DataFrame, qc: QCConfig) -> pd.DataFrame:
    """Return ``rows`` with reasons updated in place of good values that fail a check. Reason columns come back
    as Categoricals with the fixed codes of :data:`oxygen_contracts.schema.REASON_CODES` (strings are converted)."""
    if rows.empty:
        return rows
    limits = {**DEFAULT_RANGES, **qc.ranges}
    lat = rows["lat"].to_numpy(float)
    lon = rows["lon"].to_numpy(float)
    depth = rows["depth"].to_numpy(float)
    t = rows["time"]
    bad_pos = (~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | ~np.isfinite(depth)
               | (depth < -1.0) | (depth > qc.max_depth) | t.isna().to_numpy())
    for v in VARIABLES:
        cat = as_reasons(rows[v + REASON_SUFFIX])
        good = cat.codes == CODE_GOOD
        val = rows[v].to_numpy(float)
        lo, hi = limits[v]
        pos = good & bad_pos
        rng = good & ~bad_pos & ((val < lo) | (val > hi) | ~np.isfinite(val))
        if pos.any() or rng.any():
            codes = cat.codes.copy()
            codes[pos] = CODE_POSITION
            codes[rng] = CODE_RANGE
            cat = pd.Categorical.from_codes(codes, dtype=cat.dtype)
        rows[v + REASON_SUFFIX] = cat
    # O2 supersaturation below the mixed layer: needs T and S (good or not: they are only used for solubility)
    ox = rows["oxygen" + REASON_SUFFIX].array
    cand = (ox.codes == CODE_GOOD) & (depth > qc.supersaturation_min_depth)
    if cand.any():
        T = rows["temperature"].to_numpy(float)[cand]
        S = rows["salinity"].to_numpy(float)[cand]
        ok = np.isfinite(T) & np.isfinite(S)
        p = rows["pressure"].to_numpy(float)[cand]
        nop = ~np.isfinite(p)
        if nop.any():                                 # pressure from depth only where the level has none
            p[nop] = units.pressure_from_depth(depth[cand][nop], lat[cand][nop])
        sol = np.full(T.shape, np.nan)
        if ok.any():
            sol[ok] = units.oxygen_solubility(S[ok], T[ok], p[ok], lat[cand][ok], lon[cand][ok])
        ratio = rows["oxygen"].to_numpy(float)[cand] / sol
        idx = np.flatnonzero(cand)[ok & (ratio > qc.supersaturation_max)]
        if len(idx):
            codes = ox.codes.copy()
            codes[idx] = CODE_SUPERSAT
            rows["oxygen" + REASON_SUFFIX] = pd.Categorical.from_codes(codes, dtype=ox.dtype)
    return rows
