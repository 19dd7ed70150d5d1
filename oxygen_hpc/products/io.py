"""Reading the reconstruction (or truth) one year at a time, and writing the product files.

Input: a folder of yearly CF-NetCDF files (every ``*.nc`` in it, sorted), a glob, or a single file. Several files
are opened with ``xarray.open_mfdataset`` (concatenated along ``time``; variables without ``time`` such as
``cell_volume`` are taken from the first file), one file with ``xarray.open_dataset``. Either way the arrays stay
lazy and :meth:`Source.year` reads one time step, so memory is one year's grid whatever the number of years.
Land/fill values decode to NaN; an ocean cell is one whose O2 is finite (and, with ``cell_volume``, whose
volume is > 0). Ensemble members (``o2_member``, dims ``(member, time, depth, lat, lon)`` as ``oxygen-hpc predict
--write-members`` writes them) are read one member of one year at a time (:meth:`Source.member`); every member must
be finite on every ocean cell of ``o2``.
"""
from __future__ import annotations

import glob as _glob
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from oxygen_hpc.products.inventory import cell_volume_m3, column_area_m2


class InputError(ValueError):
    """The input is missing or not in the expected shape (one line)."""


def resolve_inputs(spec: str) -> list[Path]:
    p = Path(spec)
    if p.is_dir():
        files = sorted(f for f in p.glob("*.nc") if f.is_file())
    elif p.is_file():
        files = [p]
    else:
        files = sorted(Path(f) for f in _glob.glob(spec) if Path(f).is_file())
    if not files:
        raise InputError(f"no NetCDF input found at '{spec}' (a folder of yearly *.nc files, a glob or a file)")
    return files


class Source:
    """One reconstruction or truth, read year by year."""

    def __init__(self, spec: str, variable: str = "o2", std_variable: str = "o2_std",
                 earth_radius_km: float = 6371.0, geometry_file: str | None = None,
                 member_variable: str = "o2_member"):
        self.files = resolve_inputs(spec)
        if len(self.files) == 1:
            ds = xr.open_dataset(self.files[0])
        else:
            try:
                ds = xr.open_mfdataset([str(f) for f in self.files], combine="by_coords", data_vars="minimal",
                                       coords="minimal", compat="override", join="exact")
            except ValueError as e:    # e.g. o2_member in some years only, or other members
                raise InputError(f"the {len(self.files)} files of '{spec}' do not combine into one series (do they all "
                                 f"hold the same variables and ensemble members?): {str(e).splitlines()[0]}") from None
        self.ds = ds
        if variable not in ds:
            raise InputError(f"variable '{variable}' not in {self.files[0]} (has: {', '.join(ds.data_vars)})")
        v = ds[variable]
        if tuple(v.dims) != ("time", "depth", "lat", "lon"):
            raise InputError(f"'{variable}' has dims {v.dims}, expected (time, depth, lat, lon)")
        if "time" in ds.indexes and not ds.indexes["time"].is_monotonic_increasing:
            ds = self.ds = ds.sortby("time")
        self.variable, self.std_variable = variable, std_variable
        self.has_std = std_variable in ds
        self.member_variable = member_variable
        self.n_members = 0
        if member_variable in ds:
            mv = ds[member_variable]
            if tuple(mv.dims) != ("member", "time", "depth", "lat", "lon"):
                raise InputError(f"'{member_variable}' has dims {mv.dims}, expected (member, time, depth, lat, lon)")
            self.n_members = int(mv.sizes["member"])
        self.units = v.attrs.get("units", "umol kg-1")
        self.lat = np.asarray(ds["lat"].values, float)
        self.lon = np.asarray(ds["lon"].values, float)
        self.depth = np.asarray(ds["depth"].values, float)
        self.time = ds["time"].values
        self.years = np.asarray(pd.DatetimeIndex(ds.indexes["time"]).year if _is_datetime(ds) else
                                [t.year for t in ds["time"].values], int)
        if len(set(self.years.tolist())) != len(self.years):
            raise InputError("the input holds more than one time step for a year")
        self.area_m2 = column_area_m2(self.lat, self.lon, earth_radius_km)
        geo = ds if geometry_file is None else _geometry(geometry_file, self.depth, self.lat, self.lon)
        self.volume_given = "cell_volume" in geo
        self._volume = np.asarray(geo["cell_volume"].values, float) if self.volume_given else None
        self.bottom = np.asarray(geo["bottom_depth"].values, float) if "bottom_depth" in geo else None
        if geo is not ds:
            geo.close()

    def year(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(o2, ocean mask, cell volume m³, o2_std or None) of time step ``n``, as float64 [nlev, nlat, nlon]."""
        o2 = np.asarray(self.ds[self.variable].isel(time=n).values, float)
        ocean = np.isfinite(o2)
        if self._volume is not None:
            ocean &= self._volume > 0
            vol = np.where(ocean, self._volume, 0.0)
        else:
            vol = cell_volume_m3(self.depth, self.area_m2, ocean, self.bottom)
        std = np.asarray(self.ds[self.std_variable].isel(time=n).values, float) if self.has_std else None
        return o2, ocean, vol, std

    def member(self, n: int, m: int, ocean: np.ndarray) -> np.ndarray:
        """Member ``m``'s O2 of time step ``n`` (float64 [nlev, nlat, nlon]); finite on every ``ocean`` cell."""
        f = np.asarray(self.ds[self.member_variable].isel(time=n, member=m).values, float)
        bad = int((~np.isfinite(f[ocean])).sum())
        if bad:
            raise InputError(f"'{self.member_variable}' member {m} has {bad} missing values on ocean cells of "
                             f"'{self.variable}' in {self.years[n]}")
        return f

    def ts(self, n: int, ts_ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
        y = self.years[n]
        t = ts_ds["temperature"].sel(time=ts_ds["time"].dt.year == y)
        s = ts_ds["salinity"].sel(time=ts_ds["time"].dt.year == y)
        if t.sizes["time"] != 1:
            raise InputError(f"temperature/salinity file has no (or several) time steps for {y}")
        return np.asarray(t.isel(time=0).values, float), np.asarray(s.isel(time=0).values, float)

    def close(self):
        self.ds.close()


def _geometry(path: str, depth, lat, lon) -> xr.Dataset:
    """``cell_volume``/``bottom_depth`` from another file on the same grid (e.g. the synthetic ``truth.nc``)."""
    geo = xr.open_dataset(path)
    if "cell_volume" not in geo and "bottom_depth" not in geo:
        raise InputError(f"geometry_file {path} has neither cell_volume nor bottom_depth")
    for name, c in (("depth", depth), ("lat", lat), ("lon", lon)):
        if name in geo.coords and (geo[name].size != c.size or not np.allclose(geo[name].values, c)):
            raise InputError(f"geometry_file {path}: coordinate '{name}' differs from the input's")
    return geo[[v for v in ("cell_volume", "bottom_depth") if v in geo]].load()


def _is_datetime(ds) -> bool:
    return np.issubdtype(ds["time"].dtype, np.datetime64)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_csv(tmp, index=False, float_format="%.10g")
    tmp.replace(path)


def write_netcdf(ds: xr.Dataset, path: Path) -> None:
    """CF encoding: float ``time`` in days since 1900-01-01 (CF forbids int64), no ``_FillValue`` on coordinates,
    a ``history`` line."""
    import datetime as dt

    tmp = path.with_suffix(".nc.tmp")
    enc = {v: {"zlib": True, "complevel": 1} for v in ds.data_vars}
    enc.update({c: {"_FillValue": None} for c in ds.coords if ds[c].dtype.kind == "f"})
    if "time" in ds.coords:
        enc["time"] = {"dtype": "float64", "_FillValue": None}
        if np.issubdtype(ds["time"].dtype, np.datetime64):
            enc["time"].update(units="days since 1900-01-01 00:00:00", calendar="standard")
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ds = ds.assign_attrs(history=f"{now} oxygen-hpc products" + (f"\n{ds.attrs['history']}"
                                                                   if "history" in ds.attrs else ""))
    ds.to_netcdf(tmp, encoding=enc, engine="netcdf4")
    tmp.replace(path)
