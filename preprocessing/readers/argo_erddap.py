"""Argo data from an ERDDAP tabledap netCDF download (flat rows, lower-case names: ``doxy``, ``doxy_adjusted``,
``pres``, ``temp``, ``psal``, ``latitude``, ``longitude``, ``time``, ``platform_number``, ``cycle_number``,
``direction``, each with ``_qc``).

Rows are grouped into profiles by (platform_number, cycle_number, direction); within a profile the same rules as
the GDAC reader (:mod:`preprocessing.readers.argo`; shared part in :mod:`preprocessing.readers.argo_rows`) apply:
``*_adjusted`` when the profile carries any adjusted value, else the raw parameter with its QC;
``time_qc``/``position_qc`` bad → ``bad_position``. cast_id is the GDAC one (``argo:<platform>:<cycle>:<direction>``)
so ERDDAP and GDAC copies of one profile deduplicate.
"""
from __future__ import annotations

import netCDF4
import numpy as np
import pandas as pd

from preprocessing.readers.argo_rows import ARGO_FILL, BAD_POSITION_QC, BAD_PRESSURE_QC, finalize, qc_reasons
from preprocessing.readers.base import ReaderError, ReaderOptions, ReadResult
from preprocessing.readers.netcdf import cf_times, is_netcdf, qc_strings, read_netcdf
from preprocessing.units import depth_from_pressure, unit_kind

SOURCE = "argo"
FORMAT = "Argo ERDDAP tabledap netCDF"
ERDDAP_PARAMS = {"oxygen": "doxy", "temperature": "temp", "salinity": "psal", "nitrate": "nitrate"}


def can_read(path: str) -> bool:
    if not is_netcdf(path):
        return False
    try:
        with netCDF4.Dataset(path) as ds:
            names = set(ds.variables)
            return {"platform_number", "cycle_number", "time", "latitude", "longitude", "pres"} <= names
    except Exception:
        return False


def _num(ds, name, big_is_fill=True) -> np.ndarray:
    v = ds.variables[name]
    a = np.asarray(v[:], dtype=float)
    fill = getattr(v, "_FillValue", ARGO_FILL)
    a[(a == float(fill)) | ((np.abs(a) >= ARGO_FILL) & big_is_fill)] = np.nan
    return a


def _text(ds, name, n) -> np.ndarray:
    if name not in ds.variables:
        return np.full(n, "", dtype=str)
    a = np.asarray(ds.variables[name][:])
    if a.dtype.kind == "S" and a.ndim == 2:
        a = netCDF4.chartostring(a)
    return qc_strings(a)


def read(path: str, options: ReaderOptions = ReaderOptions()) -> ReadResult:
    return read_netcdf(path, lambda ds: _read(ds, path, options), "ERDDAP Argo table")


def _choose(ds, name, profile, n, options):
    """(values, qc, units) per row: adjusted for profiles that carry adjusted values, else raw."""
    raw = _num(ds, name) if name in ds.variables else np.full(n, np.nan)
    rq = _text(ds, name + "_qc", n) if name + "_qc" in ds.variables else np.full(n, "0")
    units = getattr(ds.variables[name], "units", None) if name in ds.variables else None
    adj_name = name + "_adjusted"
    if not options.argo_prefer_adjusted or adj_name not in ds.variables:
        return raw, rq, units
    adj = _num(ds, adj_name)
    aq = _text(ds, adj_name + "_qc", n) if adj_name + "_qc" in ds.variables else np.full(n, "0")
    carries = pd.Series(np.isfinite(adj)).groupby(profile).transform("any").to_numpy(bool)
    if name not in ds.variables:
        carries[:] = True
    return np.where(carries, adj, raw), np.where(carries, aq, rq), getattr(ds.variables[adj_name], "units", units)


def _read(ds, path, options) -> ReadResult:
    for need in ("time", "latitude", "longitude", "pres", "platform_number", "cycle_number"):
        if need not in ds.variables:
            raise ReaderError(path, f"not an ERDDAP Argo table (no '{need}')")
    n = ds.variables["time"].shape[0]
    platform = _text(ds, "platform_number", n)
    cycle = np.asarray(ds.variables["cycle_number"][:]).astype(np.int64)
    direction = _text(ds, "direction", n)
    direction = np.where(direction == "", "A", direction)
    cast = np.char.add(np.char.add(np.char.add("argo:", platform), ":"),
                       np.char.add(np.char.add(cycle.astype(str), ":"), direction)).astype(object)
    profile = pd.factorize(cast)[0]

    t_units = getattr(ds.variables["time"], "units", "seconds since 1970-01-01T00:00:00Z")
    time = cf_times(_num(ds, "time", big_is_fill=False), t_units)
    lat, lon = _num(ds, "latitude"), _num(ds, "longitude")
    bad = np.isnat(time) | ~np.isfinite(lat) | ~np.isfinite(lon)
    for q in ("time_qc", "position_qc"):
        if q in ds.variables:
            bad |= np.isin(_text(ds, q, n), BAD_POSITION_QC)
    pres, pqc, _ = _choose(ds, "pres", profile, n, options)
    bad |= ~np.isfinite(pres) | np.isin(pqc, BAD_PRESSURE_QC)

    columns = {"cast_id": cast, "time": pd.to_datetime(time, utc=True), "lat": lat, "lon": lon,
               "depth": depth_from_pressure(pres, np.where(np.isfinite(lat), lat, 0.0)), "pressure": pres}
    per_var = {}
    for var, name in ERDDAP_PARAMS.items():
        if name not in ds.variables and name + "_adjusted" not in ds.variables:
            continue
        vals, qc, units = _choose(ds, name, profile, n, options)
        reasons = qc_reasons(vals, qc, options.argo_good_qc)
        reasons[bad & (reasons != "missing")] = "bad_position"
        kind = "native" if var in ("temperature", "salinity") else unit_kind(units)
        per_var[var] = (vals, reasons, kind)
    return ReadResult(rows=finalize(columns, per_var, pres, lat, lon))
