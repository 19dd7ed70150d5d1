"""``truth.nc`` and ``covariates.nc``: CF-NetCDF, dims (time, depth, lat, lon), NaN on land and below the bottom.

Covariates: temperature, salinity (the ocean mask = finite temperature). Truth adds o2, nitrate, phosphate
(µmol/kg), ``o2_anomaly`` (µmol/kg: the interannual-to-decadal part of o2 that covariates cannot explain, see
``ocean.Ocean.grid_fields``; absent when variability is off), plus ``bottom_depth`` (lat, lon) and ``cell_volume``
(depth, lat, lon; m³, the volumes used for the inventory in summary.json). ``model_run.nc`` (the numerical-model
stand-in) holds o2 only. Written one year at a time; global attributes record the grid and the config.
"""
from __future__ import annotations

import json

import netCDF4
import numpy as np

VARS = {"temperature": ("sea_water_temperature", "degree_C"), "salinity": ("sea_water_practical_salinity", "1"),
        "o2": ("moles_of_oxygen_per_unit_mass_in_sea_water", "umol kg-1"),
        "nitrate": ("moles_of_nitrate_per_unit_mass_in_sea_water", "umol kg-1"),
        "phosphate": ("moles_of_phosphate_per_unit_mass_in_sea_water", "umol kg-1"),
        "o2_anomaly": (None, "umol kg-1")}
LONG_NAMES = {"o2_anomaly": "o2 minus o2 of the same ocean without its AOU anomalies and heave"}
SOURCE_KEY = {"o2": "oxygen"}


class TruthWriter:
    def __init__(self, path, grid, config: dict, names, bathy=None, title="synthetic ocean truth"):
        self.names = names
        ds = self.ds = netCDF4.Dataset(path, "w", format="NETCDF4")
        g = grid
        ds.setncatts({"title": title, "Conventions": "CF-1.8", "source": "oxygen_hpc synth (OSSE)",
                      "resolution_deg": g.resolution_deg, "depth_levels": np.asarray(g.depth_levels, float),
                      "year_start": g.year_start, "year_end": g.year_end, "zones_lon": g.zones_lon,
                      "zones_lat": g.zones_lat, "grid": json.dumps(g.to_dict()), "config": json.dumps(config)})
        for d, n in (("time", len(g.years)), ("depth", g.nlev), ("lat", g.nlat), ("lon", g.nlon)):
            ds.createDimension(d, n)
        t = ds.createVariable("time", "f8", ("time",))
        t.setncatts({"standard_name": "time", "units": "days since 1900-01-01 00:00:00", "calendar": "standard"})
        t[:] = [(np.datetime64(f"{y}-07-02") - np.datetime64("1900-01-01")).astype(float) for y in g.years]
        for name, vals, att in (("depth", g.depth, {"standard_name": "depth", "units": "m", "positive": "down"}),
                                ("lat", g.lat, {"standard_name": "latitude", "units": "degrees_north"}),
                                ("lon", g.lon, {"standard_name": "longitude", "units": "degrees_east"})):
            v = ds.createVariable(name, "f8", (name,))
            v.setncatts(att)
            v[:] = vals
        for name in names:
            std, units = VARS[name]
            v = ds.createVariable(name, "f4", ("time", "depth", "lat", "lon"), zlib=True, complevel=1,
                                  chunksizes=(1, g.nlev, g.nlat, g.nlon), fill_value=np.float32(np.nan))
            v.setncatts({"standard_name": std, "units": units} if std else
                        {"long_name": LONG_NAMES[name], "units": units})
        if bathy is not None:
            v = ds.createVariable("bottom_depth", "f4", ("lat", "lon"), fill_value=np.float32(np.nan))
            v.units = "m"
            v[:] = bathy.bottom.astype(np.float32)
            v = ds.createVariable("cell_volume", "f8", ("depth", "lat", "lon"), zlib=True, complevel=1)
            v.units = "m3"
            v[:] = bathy.volume_m3

    def write_year(self, n: int, fields: dict):
        for name in self.names:
            self.ds[name][n] = fields[SOURCE_KEY.get(name, name)]

    def close(self):
        self.ds.close()
