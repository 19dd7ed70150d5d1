"""CCHDO WOCE/COARDS netCDF reader (``*_hy1.nc`` bottle and ``*_ct1.nc`` CTD files, one station-cast per file, and
the ``.zip`` collections of them CCHDO publishes per cruise, read member by member with
:mod:`preprocessing.readers.archive`). Opened through :func:`preprocessing.readers.netcdf.read_netcdf`, so a file or
member cut short is an error naming it.

Each data variable carries ``WHPO_Variable_Name`` (CTDPRS, OXYGEN, CTDOXY, ...) and, where flagged,
``OBS_QC_VARIABLE`` naming its ``*_QC`` variable (WOCE flags). The file is turned into the WHP-named table of
:mod:`preprocessing.readers.cchdo_table` so that the oxygen rule, flags and units are the same as for exchange
files. Station metadata: global ``EXPOCODE``, ``STATION_NUMBER``, ``CAST_NUMBER`` (or the ``station``/``cast``
char variables), ``woce_date``/``woce_time`` (else ``time`` in CF units), ``latitude``/``longitude``.
"""
from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd

from preprocessing.readers.archive import any_member, read_zip
from preprocessing.readers.base import ReaderError, ReaderOptions, ReadResult
from preprocessing.readers.cchdo_table import table_to_rows
from preprocessing.readers.netcdf import NC_MAGIC, is_netcdf, read_netcdf

SOURCE = "cchdo"
FORMAT = "CCHDO bottle/CTD netCDF (.nc, or a .zip of them)"
SUFFIXES = (".nc", ".nc4", ".cdf", ".zip")


def _is_woce(ds) -> bool:
    return any("WHPO_Variable_Name" in v.ncattrs() for v in ds.variables.values()) or \
        "WOCE" in str(getattr(ds, "Conventions", ""))


def _is_netcdf_bytes(head: bytes) -> bool:
    return head[:4] in NC_MAGIC


def can_read(path: str) -> bool:
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        return False
    if p.suffix.lower() == ".zip":
        return any_member(path, _is_netcdf_bytes)
    if not is_netcdf(path):
        return False
    try:
        with netCDF4.Dataset(p) as ds:
            return _is_woce(ds)
    except OSError:
        return False


def _chars(var) -> str:
    data = var[:]
    if getattr(data, "dtype", None) is not None and data.dtype.kind == "S":
        return b"".join(np.ma.filled(data, b"").ravel().tolist()).decode(errors="replace").strip()
    return str(np.ma.filled(data, "")).strip()


def _values(var) -> np.ndarray:
    return np.asarray(np.ma.filled(np.ma.asarray(var[:], dtype=float), np.nan), dtype=float).ravel()


def _first(ds, names):
    for n in names:
        if n in ds.variables:
            v = _values(ds.variables[n])
            if v.size:
                return v[0]
    return None


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    """One station-cast file, or a zip of them (each member named ``<zip>!<member>``, see
    :mod:`preprocessing.readers.archive`)."""
    options, path = options or ReaderOptions(), str(path)
    if Path(path).suffix.lower() == ".zip":
        return read_zip(path, _is_netcdf_bytes, lambda name, data: _read_one(name, options, data),
                        "CCHDO netCDF")
    return _read_one(path, options)


def _read_one(path: str, options: ReaderOptions, data: bytes | None = None) -> ReadResult:
    return read_netcdf(path, lambda ds: _read(ds, path, options), "CCHDO bottle netCDF", auto_mask=True, data=data)


def _read(ds, path: str, options: ReaderOptions) -> ReadResult:
    cols, units = {}, {}
    for name, var in ds.variables.items():
        attrs = var.ncattrs()
        if "WHPO_Variable_Name" not in attrs or var.dtype.kind == "S":
            continue
        whp = str(var.getncattr("WHPO_Variable_Name")).strip().upper()
        cols[whp] = _values(var)
        units[whp] = _unit(str(getattr(var, "units", "")))
        qc = getattr(var, "OBS_QC_VARIABLE", None)
        if qc and qc in ds.variables:
            cols[whp + "_FLAG_W"] = _values(ds.variables[qc])
    if "CTDPRS" not in cols:
        raise ReaderError(path, "required column CTDPRS missing (no variable with WHPO_Variable_Name CTDPRS)")
    n = len(cols["CTDPRS"])
    bad_len = [k for k, v in cols.items() if len(v) != n]
    if bad_len:
        raise ReaderError(path, f"variables {bad_len} do not have the CTDPRS length {n}")
    header = {"EXPOCODE": getattr(ds, "EXPOCODE", None)}
    header["STNNBR"] = _chars(ds.variables["station"]) if "station" in ds.variables else \
        getattr(ds, "STATION_NUMBER", None)
    header["CASTNO"] = _chars(ds.variables["cast"]) if "cast" in ds.variables else \
        getattr(ds, "CAST_NUMBER", None)
    header["LATITUDE"] = _first(ds, ("latitude", "lat"))
    header["LONGITUDE"] = _first(ds, ("longitude", "lon"))
    wdate, wtime = _first(ds, ("woce_date",)), _first(ds, ("woce_time",))
    if wdate is not None and np.isfinite(wdate):
        header["DATE"] = f"{int(wdate):08d}"
        header["TIME"] = int(wtime) if wtime is not None and np.isfinite(wtime) else None
    elif "time" in ds.variables:
        tv = ds.variables["time"]
        t = pd.Timestamp(netCDF4.num2date(_values(tv)[0], tv.units, only_use_cftime_datetimes=False,
                                          only_use_python_datetimes=True))
        header["DATE"], header["TIME"] = t.strftime("%Y%m%d"), int(t.strftime("%H%M"))
    header = {k: v for k, v in header.items() if v is not None}
    rows, problems = table_to_rows(cols, units, header, path, options)
    return ReadResult(rows, problems, {})


def _unit(u: str) -> str:
    """netCDF spellings ('umol/kg', 'its-90', 'ml/l') → exchange spellings."""
    return u.strip().upper()
