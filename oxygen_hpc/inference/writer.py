"""One CF-1.8 NetCDF per year, written atomically and marked complete, so a resumed run can trust it.

``o2_YYYY.nc``: ``o2`` (float32, µmol/kg, ``moles_of_oxygen_per_unit_mass_in_sea_water``, fill on land and below
the bottom), optionally ``o2_std`` (ensemble spread), dims ``(time=1, depth, lat, lon)`` with CF coordinates and
bounds; optionally (``write_members``) every member's field ``o2_member``, dims ``(member, time=1, depth, lat, lon)``
(CF puts dimensions other than T, Z, Y, X to their left; ``time`` is kept so yearly files concatenate along it)
with the same attributes as ``o2`` and an integer coordinate ``member`` (``standard_name: realization``; member k
is checkpoint k of the ``checkpoints`` attribute); global attributes carry the provenance (checkpoint sha256s, partitions manifest sha256, config, software
version) and CF's ``title``, ``source`` and ``history`` (the IOOS compliance-checker's CF 1.8 suite finds nothing:
``tests/oxygen_hpc/inference/test_cf_compliance.py``). The file is written under a hidden temporary name
(``.o2_YYYY.nc.<pid>.tmp``, which no ``*.nc`` glob matches) and renamed only once closed, and it carries
``oxygen_hpc_complete`` = the run key (a hash of the checkpoints, partitions and precision): :func:`finished`
accepts only a file whose key matches.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np

from oxygen_contracts.grid import GridSpec

TIME_UNITS = "days since 1900-01-01 00:00:00"
FILL = np.float32(9.969209968386869e36)          # the netCDF default float fill
O2_ATTRS = {"standard_name": "moles_of_oxygen_per_unit_mass_in_sea_water", "units": "umol kg-1",
            "long_name": "dissolved oxygen (µmol kg-1), OxyGenerator reconstruction"}
MEMBER_ATTRS = {"standard_name": "realization", "long_name": "ensemble member (index into the global attribute "
                "checkpoints)", "units": "1"}
STD_ATTRS = {"units": "umol kg-1", "long_name": "ensemble standard deviation of dissolved oxygen (population)"}
COMPLETE_ATTR = "oxygen_hpc_complete"


def year_path(out: str | Path, year: int) -> Path:
    return Path(out) / f"o2_{int(year)}.nc"


def _days(year: int, month: int = 1, day: int = 1) -> float:
    return (dt.datetime(year, month, day) - dt.datetime(1900, 1, 1)).total_seconds() / 86400.0


def time_bounds(year: int) -> tuple[float, float, float]:
    """(mid-year, start, end) in :data:`TIME_UNITS` (standard calendar)."""
    a, b = _days(year), _days(year + 1)
    return (a + b) / 2, a, b


def _bounds(c: np.ndarray, step: float) -> np.ndarray:
    return np.stack([c - step / 2, c + step / 2], axis=1)


def finished(path: str | Path, run_key: str) -> bool:
    """``path`` is a finished file of the run ``run_key`` (a renamed, complete file with that key)."""
    path = Path(path)
    if not path.is_file():
        return False
    import netCDF4

    try:
        with netCDF4.Dataset(path, "r") as ds:
            return getattr(ds, COMPLETE_ATTR, None) == run_key and "o2" in ds.variables
    except OSError:
        return False


def clear_temporaries(out: str | Path, year: int) -> int:
    """Remove temporaries left by a killed writer of ``year`` (only this year's rank ever writes it)."""
    n = 0
    for p in Path(out).glob(f".o2_{int(year)}.nc.*.tmp"):
        p.unlink(missing_ok=True)
        n += 1
    return n


def write_year(out: str | Path, year: int, grid: GridSpec, o2: np.ndarray, std: np.ndarray | None,
               attrs: dict, run_key: str, complevel: int = 1, members: np.ndarray | None = None) -> Path:
    """Write ``o2`` (and ``std``), [nlev, nlat, nlon] float32 with NaN off the ocean, as ``o2_YYYY.nc``;
    ``members`` ([n_members, nlev, nlat, nlon] or [n_members, ncells]) adds ``o2_member`` and ``member``."""
    import netCDF4

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    final = year_path(out, year)
    tmp = out / f".{final.name}.{os.getpid()}.tmp"
    shape = (grid.nlev, grid.nlat, grid.nlon)
    r = grid.resolution_deg
    comp = {"zlib": True, "complevel": complevel, "shuffle": True} if complevel > 0 else {}
    with netCDF4.Dataset(tmp, "w", format="NETCDF4") as ds:
        for name, n in (("time", 1), ("depth", grid.nlev), ("lat", grid.nlat), ("lon", grid.nlon), ("bnds", 2)):
            ds.createDimension(name, n)
        if members is not None:
            ds.createDimension("member", len(members))
            m = ds.createVariable("member", "i4", ("member",))
            m.setncatts(MEMBER_ATTRS)
            m[:] = np.arange(len(members), dtype=np.int32)
        mid, a, b = time_bounds(year)
        t = ds.createVariable("time", "f8", ("time",))
        t.setncatts({"standard_name": "time", "long_name": "time (mid-year)", "units": TIME_UNITS,
                     "calendar": "standard", "axis": "T", "bounds": "time_bnds"})
        t[:] = [mid]
        ds.createVariable("time_bnds", "f8", ("time", "bnds"))[:] = [[a, b]]
        d = ds.createVariable("depth", "f8", ("depth",))
        d.setncatts({"standard_name": "depth", "long_name": "depth of the level", "units": "m",
                     "positive": "down", "axis": "Z", "bounds": "depth_bnds"})
        d[:] = grid.depth
        e = grid.depth_edges()
        ds.createVariable("depth_bnds", "f8", ("depth", "bnds"))[:] = np.stack([e[:-1], e[1:]], axis=1)
        for name, vals, units, axis in (("lat", grid.lat, "degrees_north", "Y"), ("lon", grid.lon, "degrees_east", "X")):
            v = ds.createVariable(name, "f8", (name,))
            v.setncatts({"standard_name": "latitude" if name == "lat" else "longitude", "units": units,
                         "axis": axis, "bounds": f"{name}_bnds"})
            v[:] = vals
            ds.createVariable(f"{name}_bnds", "f8", (name, "bnds"))[:] = _bounds(vals, r)
        dims = ("time", "depth", "lat", "lon")
        chunks = (1, 1, grid.nlat, grid.nlon)
        for name, arr, vattrs in (("o2", o2, O2_ATTRS), ("o2_std", std, STD_ATTRS)):
            if arr is None:
                continue
            v = ds.createVariable(name, "f4", dims, fill_value=FILL, chunksizes=chunks, **comp)
            v.setncatts({**vattrs, "coordinates": "time depth lat lon"})
            a32 = np.asarray(arr, np.float32).reshape(shape)
            v[0] = np.where(np.isfinite(a32), a32, FILL)
        if members is not None:
            v = ds.createVariable("o2_member", "f4", ("member", *dims), fill_value=FILL, chunksizes=(1, *chunks),
                                  **comp)
            v.setncatts({**O2_ATTRS, "coordinates": "member time depth lat lon"})
            for k, arr in enumerate(members):
                a32 = np.asarray(arr, np.float32).reshape(shape)
                v[k, 0] = np.where(np.isfinite(a32), a32, FILL)
        gattrs = {k: (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v) for k, v in attrs.items()}
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        ds.setncatts({"Conventions": "CF-1.8", "title": f"OxyGenerator dissolved oxygen reconstruction, {int(year)}",
                      "source": "oxygen_hpc OxyGenerator (zoning-varying graph neural network)",
                      "history": f"{now} oxygen-hpc predict", **gattrs, "year": int(year)})
        ds.setncattr(COMPLETE_ATTR, run_key)          # last: only a fully written file carries it
    os.replace(tmp, final)
    return final
