"""WHP-named table → reader rows: the part shared by the CCHDO exchange and netCDF readers.

Input: numeric columns named by WHP parameter (``CTDPRS``, ``OXYGEN``, ``OXYGEN_FLAG_W`` ...), their units, and
station metadata (EXPOCODE, STNNBR, CASTNO, DATE, TIME, LATITUDE, LONGITUDE) either as columns or as header values.

Rules (documented in the report and docs/architecture.md):
- oxygen: bottle ``OXYGEN`` where the row has a bottle value (value present and flag ≠ 9), else the sensor
  ``CTDOXY`` — one oxygen value per row, never both (:func:`preprocessing.readers.flags.pick_first`).
  Salinity likewise: ``CTDSAL`` (paired with CTDTMP) else bottle ``SALNTY``.
- flags: value -999 (≤ -990) → ``missing``; WOCE flag 9 → ``missing``; flag in ``woce_good_flags`` → good;
  any other flag → ``source_flag:<f>``. A parameter without a ``_FLAG_W`` column is good where present.
- units: µmol/kg as is; µmol/L and (oxygen) ml/L converted with the in-situ density; anything else →
  ``unknown_units``. CTDTMP in IPTS-68 → ITS-90.
- depth: from CTDPRS (gsw). The WHP ``DEPTH`` column is the *bottom* depth of the station, not the sample depth.
- time: DATE (YYYYMMDD) + TIME (HHMM), UTC; an invalid TIME falls back to 00:00 of DATE (reported as a Problem).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from preprocessing import units as U
from preprocessing.readers.base import Problem, ReaderError, ReaderOptions, finish_rows
from preprocessing.readers.flags import flag_reasons, mark_bad_position, pick_first

CANDIDATES = {
    "oxygen": ("OXYGEN", "CTDOXY"),
    "temperature": ("CTDTMP",),
    "salinity": ("CTDSAL", "SALNTY"),
    "nitrate": ("NITRAT",),
    "phosphate": ("PHSPHT",),
    "silicate": ("SILCAT",),
}
CONCENTRATIONS = ("oxygen", "nitrate", "phosphate", "silicate")
REQUIRED = ("EXPOCODE", "STNNBR", "CASTNO", "DATE", "LATITUDE", "LONGITUDE", "CTDPRS")
IDENTIFIERS = ("EXPOCODE", "SECT_ID", "STNNBR", "CASTNO", "SAMPNO", "BTLNBR")
MISSING_BELOW = -990.0
WOCE_MISSING_FLAGS = (9,)


def used_numeric_columns(names) -> list[str]:
    """Columns that must parse as numbers (a non-number there makes the line malformed)."""
    want = {"DATE", "TIME", "LATITUDE", "LONGITUDE", "CTDPRS"}
    for cands in CANDIDATES.values():
        for c in cands:
            want |= {c, c + "_FLAG_W"}
    return [n for n in names if n in want]


def present_variables(names) -> list[str]:
    names = set(names)
    return [v for v, cands in CANDIDATES.items() if any(c in names for c in cands)]


def _num(x) -> np.ndarray:
    v = np.array(pd.to_numeric(pd.Series(x), errors="coerce"), dtype=float)
    v[v <= MISSING_BELOW] = np.nan
    return v


def _times(date, time, file: str, lines) -> tuple[np.ndarray, list[Problem]]:
    d = pd.Series(date, dtype=object).astype(str).str.strip().str.replace(r"\.0+$", "", regex=True)
    day = pd.to_datetime(d, format="%Y%m%d", errors="coerce", utc=True)
    problems = []
    if time is None:
        return day.to_numpy(), problems
    t = _num(time)
    hh, mm = np.floor_divide(t, 100), np.mod(t, 100)
    ok = np.isfinite(t) & (hh < 24) & (mm < 60) & (t >= 0)
    bad = np.isfinite(t) & ~ok
    if bad.any():
        first = int(np.argmax(bad))
        where = f"line {lines[first]}" if lines is not None else ""
        problems.append(Problem(file, where, f"{int(bad.sum())} rows with invalid TIME (e.g. {int(t[first]):04d}); "
                                             "used 00:00 UTC of DATE"))
    minutes = np.where(ok, hh * 60 + mm, 0.0)
    return (day + pd.to_timedelta(minutes, unit="min")).to_numpy(), problems


def table_to_rows(cols: dict, units: dict, header: dict, file: str, options: ReaderOptions,
                  lines=None) -> tuple[pd.DataFrame, list[Problem]]:
    """``cols``: WHP name → 1-D array (strings or numbers), all the same length; ``header``: station metadata
    (used where a column is absent); ``lines``: source line number per row (for problems)."""
    n = len(next(iter(cols.values()))) if cols else 0
    header = {k.upper(): v for k, v in (header or {}).items()}

    def meta(name, required=True):
        if name in cols:
            return np.asarray(cols[name])
        if name in header:
            return np.full(n, header[name], dtype=object)
        if required:
            raise ReaderError(file, f"required column {name} missing")
        return None

    for name in REQUIRED:
        meta(name)
    ids = [pd.Series(meta(k), dtype=object).astype(str).str.strip() for k in ("EXPOCODE", "STNNBR", "CASTNO")]
    cast_id = ("cchdo:" + ids[0] + ":" + ids[1] + ":" + ids[2]).to_numpy()
    lat, lon = _num(meta("LATITUDE")), _num(meta("LONGITUDE"))
    p = _num(cols["CTDPRS"]) if "CTDPRS" in cols else _num(meta("CTDPRS"))
    time, problems = _times(meta("DATE"), meta("TIME", required=False), file, lines)
    depth = U.depth_from_pressure(p, np.where(np.isfinite(lat), lat, 0.0))
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & np.isfinite(p)) | pd.isna(time)

    def candidate(name):
        v = _num(cols[name])
        f = cols.get(name + "_FLAG_W")
        f = None if f is None else _num(f)
        return v, flag_reasons(v, f, options.woce_good_flags, WOCE_MISSING_FLAGS)

    out = {"cast_id": cast_id, "time": time, "lat": lat, "lon": lon, "depth": depth, "pressure": p}
    for var in ("temperature", "salinity"):
        cands = []
        for name in (c for c in CANDIDATES[var] if c in cols):
            v, r = candidate(name)
            if var == "temperature" and U.is_ipts68(units.get(name)):
                v = U.its90_from_ipts68(v)
            cands.append((v, r))
        if cands:
            out[var], out[var + "_reason"] = pick_first(cands)
    t = out.get("temperature", np.full(n, np.nan))
    s = out.get("salinity", np.full(n, np.nan))
    for var in CONCENTRATIONS:
        cands = []
        for name in (c for c in CANDIDATES[var] if c in cols):
            v, r = candidate(name)
            kind = U.concentration_unit_kind(units.get(name))
            if kind is None or (kind == "ml_l" and var != "oxygen"):
                r = np.where(r == "", "unknown_units", r).astype(object)
            else:
                v = U.to_umol_per_kg(v, kind, t, s, p, np.nan_to_num(lat), np.nan_to_num(lon))
            cands.append((v, r))
        if cands:
            out[var], out[var + "_reason"] = pick_first(cands)
    for var in CANDIDATES:
        if var + "_reason" in out:
            out[var + "_reason"] = mark_bad_position(out[var + "_reason"], bad)
    return finish_rows(out), problems
