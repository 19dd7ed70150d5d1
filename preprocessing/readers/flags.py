"""Vectorised flag → reason helpers shared by the CCHDO, GLODAP and GEOTRACES readers.

Reason per value: ``missing`` where the value is NaN (or its flag says not sampled), ``source_flag:<f>`` where the
flag is not a good one, '' otherwise; computed once per distinct flag value and broadcast, so a million-row GLODAP
chunk costs milliseconds.

One value per (row, variable): when a source carries several columns for one store variable (bottle OXYGEN and
sensor CTDOXY, bottle and CTD salinity, bottle and pump nutrients) :func:`pick_first` keeps, per row, the first
candidate (in priority order) that *has a value* (reason other than ``missing``); rows where none has a value get
the first candidate's ``missing``. So every row's variable is counted exactly once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from preprocessing.readers.base import ReasonCodes, flag_str
from oxygen_contracts.schema import CODE_GOOD, CODE_MISSING

MISSING = "missing"


def flag_codes(values, flags, good, missing_flags=(), table: ReasonCodes | None = None) -> np.ndarray:
    """As :func:`flag_reasons`, as integer codes of ``table`` (:class:`ReasonCodes`, fixed codes first)."""
    table = ReasonCodes() if table is None else table
    v = np.asarray(values, dtype=float)
    if flags is None:
        out = np.full(v.shape, CODE_GOOD, dtype=np.int16)
    else:
        codes, uniques = _factorize(np.asarray(flags))
        good_s = {str(g) for g in good}
        miss_s = {str(m) for m in missing_flags}
        lookup = []
        for u in list(uniques) + [None]:
            fs = flag_str(u)
            lookup.append(CODE_MISSING if fs in miss_s else (CODE_GOOD if fs in good_s else
                                                              table.code(f"source_flag:{fs}")))
        codes = np.where(codes < 0, len(uniques), codes)
        out = np.asarray(lookup, dtype=np.int16)[codes]
    out[~np.isfinite(v)] = CODE_MISSING
    return out


def _factorize(flags: np.ndarray):
    """``pd.factorize`` (NaN → -1), by a lookup table when the flags are small whole numbers (GLODAP's floats)."""
    if flags.dtype.kind == "f" and len(flags):
        fin = np.isfinite(flags)
        lo, hi = (flags[fin].min(), flags[fin].max()) if fin.any() else (0.0, 0.0)
        if 0 <= lo and hi < 256 and (flags[fin] == np.trunc(flags[fin])).all():
            ints = np.where(fin, flags, 256).astype(np.int64)
            present = np.bincount(ints, minlength=257)[:256] > 0
            uniques = np.flatnonzero(present).astype(flags.dtype)
            lookup = np.full(257, -1, np.int64)
            lookup[np.flatnonzero(present)] = np.arange(len(uniques))
            return lookup[ints], uniques
    return pd.factorize(flags, use_na_sentinel=True)


def flag_reasons(values, flags, good, missing_flags=()) -> np.ndarray:
    """Reason per value ('' good, 'missing', 'source_flag:<f>'); ``flags`` None = no flag column (all good)."""
    table = ReasonCodes()
    codes = flag_codes(values, flags, good, missing_flags, table)
    return np.asarray(table.names, dtype=object)[codes]


def pick_first(candidates: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the (value, reason) of the first candidate whose reason is not 'missing' (see module doc)."""
    values, reasons = (np.array(candidates[0][0], dtype=float), np.array(candidates[0][1], dtype=object))
    for v, r in candidates[1:]:
        take = (reasons == MISSING) & (np.asarray(r, dtype=object) != MISSING)
        values[take] = np.asarray(v, dtype=float)[take]
        reasons[take] = np.asarray(r, dtype=object)[take]
    values[reasons == MISSING] = np.nan
    return values, reasons


def mark_bad_position(reasons: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Values that would be good but whose level has no usable position/time/depth → 'bad_position'."""
    out = np.array(reasons, dtype=object)
    out[np.asarray(bad, bool) & (out == "")] = "bad_position"
    return out
