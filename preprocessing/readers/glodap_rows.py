"""GLODAPv2 merged-product columns → reader rows: the row assembly of :mod:`preprocessing.readers.glodap` (times,
cast ids, flags → reasons), kept apart from its streaming CSV reading. Not a reader: it has no ``SOURCE``.

Missing = -9999 (≤ -9990). WOCE-style f-flags: 2 measured good, 0 interpolated/calculated, 9 missing
(→ ``missing``); accepted: ``options.glodap_good_flags``. A variable of :data:`FLAGGED` without its f-flag column
is rejected as ``source_flag:none``; the product gives temperature no flag (accepted where present). Units:
µmol/kg, °C ITS-90, PSS-78, dbar, m — no conversion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from preprocessing import units as U
from preprocessing.readers.base import ReaderOptions, ReasonCodes, finish_rows
from preprocessing.readers.flags import flag_codes
from oxygen_contracts.schema import CODE_GOOD, CODE_MISSING, CODE_POSITION

VARS = {"oxygen": "G2oxygen", "temperature": "G2temperature", "salinity": "G2salinity",
        "nitrate": "G2nitrate", "phosphate": "G2phosphate", "silicate": "G2silicate"}
TIME_COLS = ("G2year", "G2month", "G2day", "G2hour", "G2minute")
FLAGGED = ("oxygen", "salinity", "nitrate", "phosphate", "silicate")   # the variables the product gives an f-flag
MISSING_BELOW = -9990.0
GLODAP_MISSING_FLAGS = (9,)


def _num(table: pa.Table, col: str, n: int) -> np.ndarray:
    if col not in table.column_names:
        return np.full(n, np.nan)
    v = table.column(col).to_numpy(zero_copy_only=False).astype(float, copy=True)
    v[v <= MISSING_BELOW] = np.nan
    return v


def _times(t: pa.Table, n: int) -> np.ndarray:
    y, mo, d, h, mi = (_num(t, c, n) for c in TIME_COLS)
    ok = np.isfinite(y) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= 31)
    h = np.where(np.isfinite(h) & (h >= 0) & (h < 24), h, 0)
    mi = np.where(np.isfinite(mi) & (mi >= 0) & (mi < 60), mi, 0)
    months = np.where(ok, (y - 1970) * 12 + mo - 1, 0).astype("int64").astype("datetime64[M]")
    minutes = np.where(ok, (d - 1) * 1440 + h * 60 + mi, 0).astype("int64")
    out = months.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    # a day beyond the month's end (e.g. 31 April) would roll over silently: treat as unusable
    ok &= (out.astype("datetime64[M]") == months)
    out = out.astype("datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def _cast_ids(t: pa.Table, n: int) -> pd.Categorical | np.ndarray:
    """One id per row as a Categorical (one category per distinct cast: rows of a cast are consecutive)."""
    st, ca = _num(t, "G2station", n), _num(t, "G2cast", n)
    if n == 0:
        return np.asarray([], dtype=object)
    if "G2expocode" in t.column_names:           # compare integer codes of the expocodes, not the strings
        key, uniq = pd.factorize(t.column("G2expocode").to_pandas())
        names = np.asarray([str(u).strip() for u in uniq] + ["None"], dtype=object)   # null → "None"
    else:
        key = _num(t, "G2cruise", n)
    change = np.ones(n, bool)
    change[1:] = (key[1:] != key[:-1]) | ~np.isclose(st[1:], st[:-1], equal_nan=True) | \
        ~np.isclose(ca[1:], ca[:-1], equal_nan=True)
    starts = np.flatnonzero(change)
    cruise = (names[np.where(key[starts] < 0, len(names) - 1, key[starts])] if "G2expocode" in t.column_names
              else _fmt_numbers(key[starts]))
    labels = np.asarray([f"glodap:{a}:{b}:{c}" for a, b, c in
                         zip(cruise, _fmt_numbers(st[starts]), _fmt_numbers(ca[starts]))], dtype=object)
    codes, uniq = pd.factorize(labels)
    return pd.Categorical.from_codes(codes[np.cumsum(change) - 1], dtype=pd.CategoricalDtype(uniq))


def _fmt(x) -> str:
    if isinstance(x, (float, np.floating)):
        return "NA" if not np.isfinite(x) else (str(int(x)) if float(x).is_integer() else str(x))
    return str(x).strip()


def _fmt_numbers(a: np.ndarray) -> list[str]:
    """:func:`_fmt` of each float, vectorised for the whole numbers (station and cast numbers)."""
    whole = np.isfinite(a) & (np.abs(a) < 2.0 ** 53)
    whole &= a == np.trunc(np.where(whole, a, 0.0))
    out = np.asarray(a.astype(np.int64, copy=False) if whole.all() else np.where(whole, a, 0).astype(np.int64),
                     dtype=np.int64).astype(str).astype(object)
    for i in np.flatnonzero(~whole).tolist():
        out[i] = _fmt(float(a[i]))
    return out.tolist()


def block_rows(t: pa.Table, options: ReaderOptions) -> pd.DataFrame:
    """One block of the product (numeric columns, ``G2expocode`` text) → reader rows."""
    n = t.num_rows
    lat, lon = _num(t, "G2latitude", n), _num(t, "G2longitude", n)
    p, z = _num(t, "G2pressure", n), _num(t, "G2depth", n)
    lat0 = np.where(np.isfinite(lat), lat, 0.0)
    if np.isnan(z).any() and np.isfinite(p).any():
        z = np.where(np.isnan(z), U.depth_from_pressure(p, lat0), z)
    if np.isnan(p).any() and np.isfinite(z).any():
        p = np.where(np.isnan(p), U.pressure_from_depth(z, lat0), p)
    time = _times(t, n)
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & np.isfinite(z)) | np.isnat(time)
    out = {"cast_id": _cast_ids(t, n), "time": time, "lat": lat, "lon": lon, "depth": z, "pressure": p}
    table = ReasonCodes()
    for var, col in VARS.items():
        if col not in t.column_names:
            continue
        v = _num(t, col, n)
        f = _num(t, col + "f", n) if col + "f" in t.column_names else (np.full(n, np.nan) if var in FLAGGED else None)
        r = flag_codes(v, f, options.glodap_good_flags, GLODAP_MISSING_FLAGS, table)
        v[r == CODE_MISSING] = np.nan
        r[bad & (r == CODE_GOOD)] = CODE_POSITION
        out[var], out[var + "_reason"] = v, table.categorical(r)
    return finish_rows(out)
