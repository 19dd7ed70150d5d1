"""Argo GDAC synthetic single-profile netCDF (NETCDF3_CLASSIC, as on the GDAC): ``argo/<wmo>/S{D|R}<wmo>_<cyc>.nc``.

N_PROF = 1; PRES, TEMP, PSAL, DOXY with ``_QC`` char flags and ``_ADJUSTED`` (+ ``_ADJUSTED_QC``,
``_ADJUSTED_ERROR``); fill 99999; JULD days since 1950-01-01. DOXY_ADJUSTED carries the measurement (QC '1';
'3'/'4' for bad_flag); raw DOXY is the uncorrected optode value (QC '3'). Missing: both fill, QC '9'.
"""
from __future__ import annotations

import os

import numpy as np
from scipy.io import netcdf_file

from preprocessing.synthetic.faults import BAD_FLAG, MISSING

FILL = np.float32(99999.0)
REF = np.datetime64("1950-01-01T00:00:00", "s")


def _text(f, name, dims, value, width, long_name):
    v = f.createVariable(name, "c", dims)
    v.long_name = long_name
    v._FillValue = b" "
    v[:] = np.frombuffer(value.ljust(width)[:width].encode(), "S1").reshape(v.shape)


def _qc(f, name, flags):
    v = f.createVariable(name, "c", ("N_PROF", "N_LEVELS"))
    v.long_name = "quality flag"
    v.conventions = "Argo reference table 2"
    v._FillValue = b" "
    v[:] = np.array([list(flags)], "S1")


def _param(f, name, vals, long_name, units, resolution):
    v = f.createVariable(name, "f", ("N_PROF", "N_LEVELS"))
    v.long_name, v.units, v._FillValue, v.resolution = long_name, units, FILL, np.float32(resolution)
    v[:] = np.where(np.isfinite(vals), vals, FILL).astype(np.float32)[None, :]


def write(out_dir, wmo: int, cycle: int, mode: str, cast: int, yc) -> str:
    c, lv = yc.cast, yc.level
    rows = np.nonzero(lv["cast"] == cast)[0]
    folder = os.path.join(out_dir, str(wmo))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"S{mode}{wmo}_{cycle:03d}.nc")
    n = len(rows)
    f = netcdf_file(path, "w", version=1)
    f.title, f.institution, f.source = "Argo float vertical profile", "SYNTHETIC OSSE", "Argo float"
    f.Conventions, f.featureType = "Argo-3.1 CF-1.6", "trajectoryProfile"
    for d, s in (("DATE_TIME", 14), ("STRING64", 64), ("STRING32", 32), ("STRING8", 8), ("STRING4", 4),
                 ("STRING2", 2), ("N_PROF", 1), ("N_PARAM", 4), ("N_LEVELS", n)):
        f.createDimension(d, s)
    _text(f, "DATA_TYPE", ("STRING32",), "Argo synthetic profile", 32, "Data type")
    _text(f, "FORMAT_VERSION", ("STRING4",), "1.0", 4, "File format version")
    _text(f, "REFERENCE_DATE_TIME", ("DATE_TIME",), "19500101000000", 14, "Date of reference for Julian days")
    _text(f, "PLATFORM_NUMBER", ("N_PROF", "STRING8"), str(wmo), 8, "Float unique identifier")
    _text(f, "PROJECT_NAME", ("N_PROF", "STRING64"), "SYNTHETIC BGC-ARGO", 64, "Name of the project")
    v = f.createVariable("STATION_PARAMETERS", "c", ("N_PROF", "N_PARAM", "STRING64"))
    v[:] = np.array([[list(p.ljust(64)) for p in ("PRES", "TEMP", "PSAL", "DOXY")]], "S1")
    v = f.createVariable("CYCLE_NUMBER", "i", ("N_PROF",))
    v._FillValue = np.int32(99999)
    v[:] = [cycle]
    _text(f, "DIRECTION", ("N_PROF",), "A", 1, "Direction of the station profiles")
    _text(f, "DATA_CENTRE", ("N_PROF", "STRING2"), "IF", 2, "Data centre")
    _text(f, "PARAMETER_DATA_MODE", ("N_PROF", "N_PARAM"), ("DDDD" if mode == "D" else "RRRA"), 4, "Data mode")
    juld = (c["time"][cast] - REF).astype(np.float64) / 86400.0
    for name in ("JULD", "JULD_LOCATION"):
        v = f.createVariable(name, "d", ("N_PROF",))
        v.units, v._FillValue = "days since 1950-01-01 00:00:00 UTC", 999999.0
        v[:] = [juld]
    _text(f, "JULD_QC", ("N_PROF",), "1", 1, "Quality on date and time")
    for name, val, u in (("LATITUDE", c["lat"][cast], "degree_north"), ("LONGITUDE", c["lon"][cast], "degree_east")):
        v = f.createVariable(name, "d", ("N_PROF",))
        v.units, v._FillValue = u, 99999.0
        v[:] = [val]
    _text(f, "POSITION_QC", ("N_PROF",), "1", 1, "Quality on position")
    for p in ("PRES", "TEMP", "PSAL", "DOXY"):
        _text(f, f"PROFILE_{p}_QC", ("N_PROF",), "A", 1, f"Global quality flag of {p} profile")
    fault = lv["fault"][rows]
    o2 = lv["oxygen"][rows]
    miss = fault == MISSING
    bad = fault == BAD_FLAG
    adj_qc = np.where(miss, "9", np.where(bad, np.where(np.arange(n) % 2 == 0, "4", "3"), "1"))
    raw_qc = np.where(miss, "9", np.where(bad, adj_qc, "3"))
    spec = (("PRES", lv["pressure"][rows], "Sea water pressure, equals 0 at sea-level", "decibar", 0.1),
            ("TEMP", lv["temperature"][rows], "Sea temperature in-situ ITS-90 scale", "degree_Celsius", 0.001),
            ("PSAL", lv["salinity"][rows], "Practical salinity", "psu", 0.001))
    for name, vals, ln, u, r in spec:
        _param(f, name, vals, ln, u, r)
        _qc(f, name + "_QC", "1" * n)
        _param(f, name + "_ADJUSTED", vals, ln, u, r)
        _qc(f, name + "_ADJUSTED_QC", "1" * n)
    _param(f, "DOXY", np.round(o2 / 1.04, 3), "Dissolved oxygen", "micromole/kg", 0.001)
    _qc(f, "DOXY_QC", "".join(raw_qc))
    _param(f, "DOXY_ADJUSTED", o2, "Dissolved oxygen", "micromole/kg", 0.001)
    _qc(f, "DOXY_ADJUSTED_QC", "".join(adj_qc))
    _param(f, "DOXY_ADJUSTED_ERROR", np.where(miss, np.nan, 3.0), "Error on DOXY_ADJUSTED", "micromole/kg", 0.001)
    f.close()
    return path
