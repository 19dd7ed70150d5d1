"""Argo GDAC profile files: core (R/D), B (BR/BD), synthetic (SR/SD) single-profile and multi-profile (_prof,
_Bprof, _Sprof) netCDF, every N_PROF of a file.

Per profile and parameter the ``<PARAM>_ADJUSTED`` values are used when the profile carries any (a finite value or
a QC flag set), else the raw ``<PARAM>`` with its own QC; QC in ``options.argo_good_qc`` is good. A profile that
does not list a parameter in STATION_PARAMETERS does not carry it (reason ``absent``: a core R-file has no DOXY,
a B-file has no TEMP/PSAL). JULD_QC/POSITION_QC bad (3, 4, 9) or missing time/position → ``bad_position`` for every
value of the profile; a level whose pressure is missing or flagged 3/4 → ``bad_position`` for its values.

cast_id = ``argo:<platform>:<cycle>:<direction>`` — identical for the R, BR and SR files of one cycle (and for the
several vertical-sampling profiles of one cycle inside an R/BR file), so ingest can deduplicate per float cycle.
"""
from __future__ import annotations

import os
import re

import netCDF4
import numpy as np
import pandas as pd

from preprocessing.readers.argo_rows import ARGO_FILL, BAD_POSITION_QC, BAD_PRESSURE_QC, finalize, qc_reasons
from preprocessing.readers.base import ReaderError, ReaderOptions, ReadResult
from preprocessing.readers.netcdf import cf_times, is_netcdf, qc_strings, read_netcdf
from preprocessing.units import depth_from_pressure, unit_kind

SOURCE = "argo"
FORMAT = "Argo GDAC profile netCDF"
ARGO_PARAMS = {"oxygen": "DOXY", "temperature": "TEMP", "salinity": "PSAL", "nitrate": "NITRATE"}
_NAME = re.compile(r"^((R|D|BR|BD|SR|SD|MR|MD)\d+_\d+D?|\d+_(prof|Bprof|Sprof))\.nc$")


def can_read(path: str) -> bool:
    if not is_netcdf(path):
        return False
    if _NAME.match(os.path.basename(path)):
        return True
    try:
        with netCDF4.Dataset(path) as ds:
            return "N_PROF" in ds.dimensions and "JULD" in ds.variables and "PLATFORM_NUMBER" in ds.variables
    except Exception:
        return False


def _num(ds, name) -> np.ndarray:
    v = ds.variables[name]
    a = np.asarray(v[:], dtype=float)
    fill = getattr(v, "_FillValue", ARGO_FILL)
    a[(a == float(fill)) | (np.abs(a) >= ARGO_FILL)] = np.nan
    return a


def _strings(ds, name, n_prof) -> np.ndarray:
    if name not in ds.variables:
        return np.full(n_prof, "", dtype=object)
    a = np.asarray(ds.variables[name][:])
    if a.dtype.kind == "S" and a.ndim >= 2:
        a = netCDF4.chartostring(a)
    return np.char.strip(qc_strings(a)).astype(object)


def _choose(ds, param, n_prof, options) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(values, qc strings, units) per (profile, level): adjusted where the profile carries it, else raw."""
    have_raw, have_adj = param in ds.variables, param + "_ADJUSTED" in ds.variables
    raw = _num(ds, param) if have_raw else None
    rq = qc_strings(ds.variables[param + "_QC"][:]) if have_raw and param + "_QC" in ds.variables else None
    if not have_adj or not options.argo_prefer_adjusted:
        return raw, (rq if rq is not None else np.full(raw.shape, "0")), getattr(ds.variables[param], "units", None)
    adj = _num(ds, param + "_ADJUSTED")
    aq = qc_strings(ds.variables[param + "_ADJUSTED_QC"][:])
    use = np.isfinite(adj).any(axis=1) | (aq != "").any(axis=1)
    if not have_raw:
        use[:] = True
    use2 = use[:, None]
    vals = np.where(use2, adj, raw) if have_raw else adj
    qc = np.where(use2, aq, rq if rq is not None else "0")
    return vals, qc, getattr(ds.variables[param + ("_ADJUSTED" if use.any() else "")], "units", None)


def read(path: str, options: ReaderOptions = ReaderOptions()) -> ReadResult:
    return read_netcdf(path, lambda ds: _read(ds, path, options), "Argo profile file")


def _read(ds, path, options) -> ReadResult:
    for need in ("JULD", "LATITUDE", "LONGITUDE", "PRES"):
        if need not in ds.variables:
            raise ReaderError(path, f"not an Argo profile file (no {need})")
    n_prof = len(ds.dimensions["N_PROF"])
    platform = _strings(ds, "PLATFORM_NUMBER", n_prof)
    cycle = np.asarray(ds.variables["CYCLE_NUMBER"][:]) if "CYCLE_NUMBER" in ds.variables else np.zeros(n_prof)
    direction = _strings(ds, "DIRECTION", n_prof)
    cast = np.array([f"argo:{p}:{int(c)}:{d or 'A'}" for p, c, d in zip(platform, cycle, direction)], dtype=object)
    juld = ds.variables["JULD"]
    time = cf_times(_num(ds, "JULD"), getattr(juld, "units", "days since 1950-01-01 00:00:00 UTC"))
    lat, lon = _num(ds, "LATITUDE"), _num(ds, "LONGITUDE")
    bad_prof = np.isnat(time) | ~np.isfinite(lat) | ~np.isfinite(lon)
    for qname in ("JULD_QC", "POSITION_QC"):
        if qname in ds.variables:
            bad_prof |= np.isin(_strings(ds, qname, n_prof).astype(str), BAD_POSITION_QC)

    pres, pqc, _ = _choose(ds, "PRES", n_prof, options)
    station = None
    if "STATION_PARAMETERS" in ds.variables:
        sp = netCDF4.chartostring(np.asarray(ds.variables["STATION_PARAMETERS"][:]))
        station = [{str(x).strip() for x in row} for row in np.atleast_2d(sp)]

    chosen = {}
    real = np.isfinite(pres)
    for var, param in ARGO_PARAMS.items():
        if param not in ds.variables and param + "_ADJUSTED" not in ds.variables:
            continue
        vals, qc, units = _choose(ds, param, n_prof, options)
        carried = np.array([station is None or param in station[i] for i in range(n_prof)])
        if not carried.any():
            continue
        chosen[var] = (vals, qc, units, carried)
        real |= np.isfinite(vals) & carried[:, None]

    ip, il = np.nonzero(real)
    p = pres[ip, il]
    bad_level = bad_prof[ip] | ~np.isfinite(p) | np.isin(pqc[ip, il], BAD_PRESSURE_QC)
    columns = {"cast_id": cast[ip], "time": pd.to_datetime(time[ip], utc=True), "lat": lat[ip], "lon": lon[ip],
               "depth": depth_from_pressure(p, np.where(np.isfinite(lat[ip]), lat[ip], 0.0)), "pressure": p}
    per_var = {}
    for var, (vals, qc, units, carried) in chosen.items():
        v = vals[ip, il]
        reasons = qc_reasons(v, qc[ip, il], options.argo_good_qc)
        reasons[bad_level & (reasons != "missing")] = "bad_position"
        reasons[~carried[ip]] = "absent"
        kind = "native" if var in ("temperature", "salinity") else unit_kind(units)
        per_var[var] = (v, reasons, kind)
    rows = finalize(columns, per_var, p, lat[ip], lon[ip])
    return ReadResult(rows=rows)
