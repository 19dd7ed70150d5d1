"""``covariates.nc`` exactly as docs/architecture.md fixes it (the synthetic ocean writes the same layout).

CF-1.8, dims ``(time, depth, lat, lon)``; ``time`` one step per year at mid-year (2 July, days since 1900-01-01),
``depth`` (m, positive down), ``lat``/``lon`` cell centres; ``temperature`` (in-situ, °C) and ``salinity`` (PSS-78),
float32, NaN on land and below the bottom; global attributes: the grid (``resolution_deg``, ``depth_levels``,
``year_start``, ``year_end``, ``zones_lon``, ``zones_lat``, ``grid`` as JSON), ``config`` (JSON) and the provenance
(``history``, ``source``, ``provenance`` as JSON: input files, method, the source of every year, fill counts).
Written one year at a time under a temporary name, renamed when complete.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np

from oxygen_contracts.grid import GridSpec

VARS = {"temperature": ("sea_water_temperature", "degree_C", "in-situ sea water temperature"),
        "salinity": ("sea_water_practical_salinity", "1", "practical salinity (PSS-78)")}


class CovariatesWriter:
    def __init__(self, path: str | Path, grid: GridSpec, config: dict, title: str):
        import netCDF4

        self.final = Path(path)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.final.with_name(f".{self.final.name}.{os.getpid()}.tmp")
        g = self.grid = grid
        ds = self.ds = netCDF4.Dataset(self.tmp, "w", format="NETCDF4")
        ds.setncatts({"title": title, "Conventions": "CF-1.8", "resolution_deg": g.resolution_deg,
                      "depth_levels": np.asarray(g.depth_levels, float), "year_start": g.year_start,
                      "year_end": g.year_end, "zones_lon": g.zones_lon, "zones_lat": g.zones_lat,
                      "grid": json.dumps(g.to_dict()), "config": json.dumps(config, sort_keys=True)})
        for d, n in (("time", len(g.years)), ("depth", g.nlev), ("lat", g.nlat), ("lon", g.nlon)):
            ds.createDimension(d, n)
        t = ds.createVariable("time", "f8", ("time",))
        t.setncatts({"standard_name": "time", "units": "days since 1900-01-01 00:00:00", "calendar": "standard",
                     "axis": "T"})
        t[:] = [(np.datetime64(f"{y}-07-02") - np.datetime64("1900-01-01")).astype(float) for y in g.years]
        for name, vals, att in (
                ("depth", g.depth, {"standard_name": "depth", "units": "m", "positive": "down", "axis": "Z"}),
                ("lat", g.lat, {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"}),
                ("lon", g.lon, {"standard_name": "longitude", "units": "degrees_east", "axis": "X"})):
            v = ds.createVariable(name, "f8", (name,))
            v.setncatts(att)
            v[:] = vals
        for name, (std, units, long) in VARS.items():
            v = ds.createVariable(name, "f4", ("time", "depth", "lat", "lon"), zlib=True, complevel=1,
                                  chunksizes=(1, g.nlev, g.nlat, g.nlon), fill_value=np.float32(np.nan))
            v.setncatts({"standard_name": std, "units": units, "long_name": long})

    def write_year(self, n: int, temperature: np.ndarray, salinity: np.ndarray) -> None:
        self.ds["temperature"][n] = np.asarray(temperature, np.float32)
        self.ds["salinity"][n] = np.asarray(salinity, np.float32)

    def close(self, provenance: dict, source: str) -> Path:
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.ds.setncatts({"source": source, "provenance": json.dumps(provenance, sort_keys=True),
                           "history": f"{now} oxygen-hpc covariates ({source})"})
        self.ds.close()
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        try:
            self.ds.close()
        finally:
            self.tmp.unlink(missing_ok=True)
