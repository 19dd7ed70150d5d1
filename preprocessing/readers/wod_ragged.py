"""World Ocean Database ragged-array netCDF (CF contiguous ragged arrays: ``casts`` dimension, ``z_row_size``,
``<Var>_row_size``, per-observation ``<Var>_WODflag`` / ``<Var>_IQUODflag``, per-cast ``<Var>_WODprofileflag``).

One row per (cast, depth level). A variable's values of a cast are aligned with the cast's z levels (its row size
equals ``z_row_size``); row size 0 = the cast does not carry the variable (``absent``); any other row size is a
located :class:`Problem` and its values are counted as lost; so are the values of a variable without its
``<Var>_row_size`` (and the values a ``<Var>_row_size`` counts when its variable is missing). Reasons, first
match wins: ``missing`` (fill), ``source_flag:profile<f>`` (profile flag ≠ 0), ``source_flag:<f>`` (WOD flag not
in ``options.wod_good_flags``), ``source_flag:iquod<f>`` (IQuOD flag ≠ 0), ``source_flag:depth<f>`` (depth flag
≠ 0), ``bad_position`` (no time/position/depth). Units from each variable's ``units``: µmol/kg as is, µmol/l and
(oxygen) ml/l converted with the level's good T/S and pressure, anything else ``unknown_units``
(:mod:`preprocessing.readers.wod_units`). cast_id = ``wod:<wod_unique_cast>``.
"""
from __future__ import annotations

import os

import netCDF4
import numpy as np
import pandas as pd

from preprocessing.readers.base import (Problem, ReaderError, ReaderOptions, ReadResult, ReasonCodes, empty_rows,
                                        finish_rows)
from preprocessing.readers.netcdf import cf_times, is_netcdf, read_netcdf
from preprocessing.readers.wod_units import convert_units
from oxygen_contracts.schema import CODE_ABSENT, CODE_GOOD, CODE_MISSING, CODE_POSITION
from preprocessing.units import pressure_from_depth, wrap_lon

SOURCE = "wod"
FORMAT = "WOD ragged-array netCDF"
WOD_VARIABLES = {"Temperature": "temperature", "Salinity": "salinity", "Oxygen": "oxygen",
                 "Nitrate": "nitrate", "Phosphate": "phosphate", "Silicate": "silicate"}


def can_read(path: str) -> bool:
    if not is_netcdf(path):
        return False
    try:
        with netCDF4.Dataset(path) as ds:
            return "casts" in ds.dimensions and "z_row_size" in ds.variables
    except Exception:
        return False


def _arr(ds, name, fill=np.nan) -> np.ndarray:
    a = ds.variables[name][:]
    return np.ma.filled(np.ma.asarray(a).astype(float), fill)


def _flags(ds, name, n) -> np.ndarray | None:
    """Integer flags (masked → 0); integer variables keep their own (small) dtype."""
    if name not in ds.variables:
        return None
    a = np.ma.asarray(ds.variables[name][:])
    if a.dtype.kind in "iu":
        return np.ma.filled(a, 0)[:n]
    return np.ma.filled(a.astype(float), 0.0).astype(np.int64)[:n]


def read(path: str, options: ReaderOptions = ReaderOptions()) -> ReadResult:
    return read_netcdf(path, lambda ds: _read(ds, path, options), "WOD ragged-array file", auto_mask=True)


def _read(ds, path, options) -> ReadResult:
    for need in ("z", "z_row_size", "lat", "lon", "time"):
        if need not in ds.variables:
            raise ReaderError(path, f"not a WOD ragged-array file (no '{need}')")
    name = os.path.basename(path)
    zn = np.ma.filled(ds.variables["z_row_size"][:], 0).astype(np.int64)
    n_cast, n_rows = len(zn), int(zn.sum())
    z = _arr(ds, "z")[:n_rows]
    if len(z) < n_rows:
        raise ReaderError(path, f"z has {len(z)} values but z_row_size sums to {n_rows}")
    cast_of_row = np.repeat(np.arange(n_cast), zn)
    uid = (np.ma.filled(ds.variables["wod_unique_cast"][:], -1).astype(np.int64) if "wod_unique_cast" in ds.variables
           else np.arange(n_cast))
    lat, lon = _arr(ds, "lat"), _arr(ds, "lon")
    time = cf_times(_arr(ds, "time"), getattr(ds.variables["time"], "units", "days since 1770-01-01 00:00:00"))
    rlat = lat[cast_of_row]
    bad = (np.isnat(time) | ~np.isfinite(lat) | ~np.isfinite(lon))[cast_of_row] | ~np.isfinite(z)
    pressure = pressure_from_depth(z, np.where(np.isfinite(rlat), rlat, 0.0))
    zflag = None
    for fname in ("z_WODflag", "z_IQUODflag"):
        f = _flags(ds, fname, n_rows)
        if f is not None:
            zflag = f if zflag is None else np.where(zflag != 0, zflag, f)
    if zflag is not None and not zflag.any():
        zflag = None                                  # all depths good: nothing to mark
    if not bad.any():
        bad = None

    problems, lost, per_var = [], {}, {}
    table = ReasonCodes()
    for wname, var in WOD_VARIABLES.items():
        if not _aligned(ds, wname, var, name, problems, lost):
            continue
        vn = np.ma.filled(ds.variables[wname + "_row_size"][:], 0).astype(np.int64)
        raw = _arr(ds, wname)
        wflag, iflag = _flags(ds, wname + "_WODflag", len(raw)), _flags(ds, wname + "_IQUODflag", len(raw))
        pflag = _flags(ds, wname + "_WODprofileflag", n_cast)
        if pflag is not None and not pflag.any():
            pflag = None                              # no flagged profile: nothing to mark
        vstart, zstart = np.concatenate([[0], np.cumsum(vn)[:-1]]), np.concatenate([[0], np.cumsum(zn)[:-1]])
        has = vn > 0
        broken = has & ((vn != zn) | (vstart + vn > len(raw)))
        for c in np.nonzero(broken)[0]:
            k = vn[c]
            problems.append(Problem(name, f"cast {c} (wod_unique_cast {uid[c]})",
                                    f"{wname} has {k} values for {zn[c]} depths; values not used"))
            lost[var] = lost.get(var, 0) + int(k)
        ok = np.nonzero(has & ~broken)[0]
        if len(ok) == n_cast and int(vn.sum()) == n_rows:   # aligned with z in every cast: no index arrays
            vals, codes = _values(raw[:n_rows], None, None, wflag, iflag, pflag[cast_of_row] if pflag is not None
                                  else None, zflag, bad, options, table)
        else:
            vals = np.full(n_rows, np.nan)            # absent where a cast does not carry the variable
            codes = np.full(n_rows, CODE_ABSENT, dtype=np.int16)
        if len(ok) and len(ok) < n_cast:              # all well-formed casts at once (value j -> row j - s0 + r0)
            k = vn[ok]
            vi = np.repeat(vstart[ok] - zstart[ok], k)
            ri = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k) + np.repeat(zstart[ok], k)
            vi += ri
            v, r = _values(raw, vi, ri, wflag, iflag, pflag[np.repeat(ok, k)] if pflag is not None else None,
                           zflag, bad, options, table)
            vals[ri], codes[ri] = v, r
        units = getattr(ds.variables[wname], "units", "")
        per_var[var] = (vals, codes, units)

    uniq, cast_codes = np.unique(uid, return_inverse=True)     # one category per distinct cast id
    names = pd.CategoricalDtype([f"wod:{u}" for u in uniq.tolist()])
    utc = pd.DatetimeIndex(time).tz_localize("UTC").array
    cols = {"cast_id": pd.Categorical.from_codes(cast_codes.astype(np.int32)[cast_of_row], dtype=names),
            "time": utc.take(cast_of_row), "lat": rlat, "lon": lon[cast_of_row], "depth": z, "pressure": pressure}
    convert_units(cols, per_var, pressure, rlat, cols["lon"], table)
    cols["lon"] = wrap_lon(lon)[cast_of_row]                    # per cast, not per row
    rows = finish_rows(cols, lon_wrapped=True) if n_rows else empty_rows()
    return ReadResult(rows=rows, problems=problems, lost_values=lost)


def _aligned(ds, wname: str, var: str, name: str, problems: list, lost: dict) -> bool:
    """Whether ``wname`` has both its values and its row sizes. One without the other cannot be given to casts:
    its values (the values, or what the row sizes count) are lost, with a Problem; neither = not carried."""
    has_values, has_sizes = wname in ds.variables, wname + "_row_size" in ds.variables
    if has_values and has_sizes:
        return True
    if has_values:
        k = int(ds.variables[wname].size)
        msg = f"no {wname}_row_size: its {k} values cannot be given to casts; not used"
    elif has_sizes:
        k = int(np.ma.filled(ds.variables[wname + "_row_size"][:], 0).astype(np.int64).sum())
        msg = f"{wname}_row_size counts {k} values but there is no {wname} variable"
    else:
        return False
    if k:
        problems.append(Problem(name, wname, msg))
        lost[var] = lost.get(var, 0) + k
    return False


def _values(raw, vi, ri, wflag, iflag, pflag, zflag, bad, options, table: ReasonCodes):
    """Values and reason codes of the well-formed casts' entries: value ``vi[j]`` at row ``ri[j]`` (None: the
    identity, the variable is aligned with z). ``pflag``: already one per entry. First match wins: missing, profile
    flag, WOD flag, IQuOD flag, depth flag, bad position."""
    def at_v(a):
        return a[:len(raw)] if vi is None else a[vi]

    def at_r(a):
        return a if ri is None else a[ri]

    v = raw if vi is None else raw[vi]
    r = np.zeros(len(v), dtype=np.int16)                # CODE_GOOD
    if zflag is not None:
        zf = at_r(zflag)
        _set_flag_codes(r, zf, "source_flag:depth", zf != 0, table)
    if iflag is not None:
        f = at_v(iflag)
        _set_flag_codes(r, f, "source_flag:iquod", f != 0, table)
    if wflag is not None:
        f = at_v(wflag)
        _set_flag_codes(r, f, "source_flag:", _not_in(f, options.wod_good_flags), table)
    if pflag is not None:
        _set_flag_codes(r, pflag, "source_flag:profile", pflag != 0, table)
    if bad is not None:
        r[(r == CODE_GOOD) & at_r(bad)] = CODE_POSITION
    r[~np.isfinite(v)] = CODE_MISSING
    return v, r


def _not_in(flags: np.ndarray, good) -> np.ndarray:
    out = np.ones(len(flags), bool)
    for g in good:
        out &= flags != int(g)
    return out


def _set_flag_codes(r: np.ndarray, flags: np.ndarray, prefix: str, where: np.ndarray, table: ReasonCodes) -> None:
    """``r[where] = code of prefix + str(flag)``, one reason string per distinct flag value."""
    if not where.any():
        return
    uniq, inv = np.unique(flags[where], return_inverse=True)
    r[where] = np.asarray([table.code(f"{prefix}{u}") for u in uniq.tolist()], dtype=r.dtype)[inv]
