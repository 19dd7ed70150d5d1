"""World Ocean Database native ASCII (WOD13 "classic" and IQuOD variants), parsed cast by cast with wodpy.

Variable codes: 1 temperature, 2 salinity, 3 oxygen, 4 phosphate, 6 silicate, 8 nitrate (25 = pressure, used as
the level pressure when present). The native ASCII carries no unit strings; the WOD13 units are assumed
(:data:`ASCII_UNITS`: oxygen ml/l, nutrients µmol/l) and converted to µmol/kg with the level's good T/S.
Reasons as in :mod:`preprocessing.readers.wod_ragged` (WOD level flags, profile flags ``profile<f>``, depth flags
``depth<f>``). A malformed cast is a :class:`Problem` naming the cast index and line; its values (known from its
header when that parses) are counted in ``lost_values`` and reading resumes at the next cast (from the header's
byte count, else by scanning forward line by line) — the first cast as any other: a file whose first cast is
malformed is still claimed (:func:`can_read` looks for a cast header further on). cast_id = ``wod:<WOD unique cast
number>``.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
from wodpy import wod

from preprocessing.readers.base import Problem, ReaderError, ReaderOptions, ReadResult, empty_rows, finish_rows
from preprocessing.readers.wod_units import convert_units
from preprocessing.units import pressure_from_depth

SOURCE = "wod"
FORMAT = "WOD native ASCII"
CODES = {1: "temperature", 2: "salinity", 3: "oxygen", 4: "phosphate", 6: "silicate", 8: "nitrate"}
PRESSURE_CODE = 25
_SNIFF_LINES = 5000         # how far can_read looks past a malformed first cast for a cast header
ASCII_UNITS = {"temperature": "degree_C", "salinity": "", "oxygen": "ml/l", "phosphate": "umol/l",
               "silicate": "umol/l", "nitrate": "umol/l"}


def can_read(path: str) -> bool:
    """Fixed-width 80-character lines and a plausible cast header at the first line or, when the first cast is
    malformed, at a later line start (as :func:`read` recovers past a malformed cast anywhere in the file)."""
    try:
        with open(path, "r", encoding="latin-1") as f:
            first = f.readline()
            if len(first.rstrip("\r\n")) != 80:
                return False
            for k in range(_SNIFF_LINES):
                pos = k * len(first)
                f.seek(pos)
                line = f.readline()
                if not line or len(line.rstrip("\r\n")) != 80:
                    return False
                if line[1:2].isdigit() and _header_only(f, pos) is not None:
                    return True
    except Exception:
        return False
    return False


def _plausible(p) -> bool:
    h = p.primary_header
    lat, lon = h.get("Latitude"), h.get("Longitude")
    return (1700 <= h["Year"] <= 2100 and 0 <= h["Month"] <= 12 and h["Number of levels"] >= 0
            and (lat is None or -90 <= lat <= 90) and (lon is None or -180 <= lon <= 360))


def read(path: str, options: ReaderOptions = ReaderOptions()) -> ReadResult:
    name = os.path.basename(path)
    try:
        size = os.path.getsize(path)
        f = open(path, "r", encoding="latin-1")
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e})") from None
    with f:
        first = f.readline()
        if len(first.rstrip("\r\n")) != 80:
            raise ReaderError(path, "not WOD native ASCII (its lines are not 80 characters)", "line 1")
        line_len = 82 if first.endswith("\r\n") else 81
        frames, problems, lost = [], [], {}
        pos, index = 0, 0
        while pos < size:
            f.seek(pos)
            if not f.read(line_len).strip():
                break                                            # trailing blank line(s)
            try:
                f.seek(pos)
                p = wod.WodProfile(f)
                if not _plausible(p):
                    raise ValueError("implausible header (year/month/position)")
                frames.append(_cast_rows(p, options))
                pos = f.tell()
            except Exception as e:
                where = f"cast {index} (line {pos // line_len + 1})"
                header = _header_only(f, pos)
                if header is not None:
                    for code in [v["Variable code"] for v in header.primary_header["variables"]]:
                        if code in CODES:
                            lost[CODES[code]] = lost.get(CODES[code], 0) + int(header.n_levels())
                    nxt = header._calculate_next_profile_position()
                    problems.append(Problem(name, where, f"malformed cast {header.uid()} skipped ({e})"))
                else:
                    nxt = _resync(f, pos + line_len, size, line_len)
                    msg = (f"malformed cast header ({e}); resumed at line {nxt // line_len + 1}" if nxt < size
                           else f"malformed cast header ({e}); no later cast found, rest of file not read")
                    problems.append(Problem(name, where, msg))
                if nxt <= pos:
                    break
                pos = nxt
            index += 1
    if not frames and problems and not lost:
        raise ReaderError(path, f"no readable WOD ASCII cast ({problems[0].message})")
    rows = pd.concat(frames, ignore_index=True) if frames else None
    if rows is None or rows.empty:
        return ReadResult(rows=empty_rows(), problems=problems, lost_values=lost)
    rows["time"] = pd.to_datetime(rows["time"], utc=True).astype("datetime64[ns, UTC]")
    per_var = {v: (rows[v].to_numpy(float), rows[v + "_reason"].to_numpy(object), ASCII_UNITS[v])
               for v in CODES.values() if v + "_reason" in rows and (rows[v + "_reason"] != "absent").any()}
    rows = rows.drop(columns=[c for v in CODES.values() for c in (v, v + "_reason") if c in rows])
    for v in per_var:
        vals, reasons, units = per_var[v]
        per_var[v] = (vals, np.where(pd.isna(reasons), "absent", reasons).astype(object), units)
    convert_units(rows, per_var, rows["pressure"].to_numpy(float), rows["lat"].to_numpy(float),
             rows["lon"].to_numpy(float))
    return ReadResult(rows=finish_rows(rows), problems=problems, lost_values=lost)


def _header_only(f, pos):
    """The cast's headers when they parse (to count lost values and find the next cast), else None."""
    try:
        f.seek(pos)
        h = wod.WodProfile(f, load_profile_data=False)
        return h if _plausible(h) and h.primary_header["Bytes in profile"] > 0 else None
    except Exception:
        return None


def _resync(f, start, size, line_len) -> int:
    """First line start at or after ``start`` where a whole plausible cast parses; ``size`` if none."""
    pos = start
    while pos < size:
        try:
            f.seek(pos)
            p = wod.WodProfile(f)
            if _plausible(p):
                return pos
        except Exception:
            pass
        pos += line_len
    return size


def _cast_rows(p, options) -> pd.DataFrame:
    n = p.n_levels()
    z = np.ma.filled(p.z().astype(float), np.nan)
    zqc = np.ma.filled(p.z_level_qc(), 0)
    lat = p.latitude() if p.latitude() is not None else np.nan
    lon = p.longitude() if p.longitude() is not None else np.nan
    h = p.primary_header
    try:
        hours = p.time() if p.time() is not None and 0 <= p.time() < 24 else 0.0
        time = pd.Timestamp(year=h["Year"], month=h["Month"], day=h["Day"] or 15, tz="UTC") + pd.Timedelta(hours=hours)
        time = time.round("s")
    except Exception:
        time = pd.NaT
    bad = np.full(n, pd.isna(time) or not np.isfinite(lat) or not np.isfinite(lon)) | ~np.isfinite(z)
    pres = pressure_from_depth(z, lat if np.isfinite(lat) else 0.0)
    pidx = p.var_index(PRESSURE_CODE)
    if pidx is not None:
        pv = np.ma.filled(p.var_data(pidx).astype(float), np.nan)
        pres = np.where(np.isfinite(pv), pv, pres)
    df = pd.DataFrame({"cast_id": f"wod:{p.uid()}", "time": [time] * n, "lat": lat, "lon": lon, "depth": z,
                       "pressure": pres})
    good = [int(g) for g in options.wod_good_flags]
    for code, var in CODES.items():
        idx = p.var_index(code)
        if idx is None:
            continue
        v = np.ma.filled(p.var_data(idx).astype(float), np.nan)
        lqc = np.ma.filled(p.var_level_qc(idx), 0)
        prof = p.var_profile_qc(idx) or 0
        r = np.full(n, "", dtype=object)
        r[zqc != 0] = [f"source_flag:depth{q}" for q in zqc[zqc != 0]]
        notgood = ~np.isin(lqc, good)
        r[notgood] = [f"source_flag:{q}" for q in lqc[notgood]]
        if prof != 0:
            r[:] = f"source_flag:profile{prof}"
        r[(r == "") & bad] = "bad_position"
        r[~np.isfinite(v)] = "missing"
        df[var], df[var + "_reason"] = v, r
    return df
