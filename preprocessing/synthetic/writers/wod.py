"""WOD ragged-array netCDF (CF contiguous ragged arrays), one file per year: ``wod/wod_<year>_OSD.nc``.

Layout as NCEI's WODselect output: dims ``casts``, ``z_obs`` and ``<Var>_obs``; per cast ``lat``, ``lon``,
``time`` (days since 1770-01-01), ``date``, ``GMT_time``, ``country``, ``WOD_cruise_identifier``,
``wod_unique_cast``, ``Bottom_Depth``, ``<Var>_row_size`` (0 = not measured), ``<Var>_WODprofileflag``;
per observation ``z``, ``<Var>``, ``<Var>_WODflag`` (0 accepted). Fill -1e10. Oxygen units ``umol/kg``, or
``ml/l`` in files before ``faults.mll_units_before`` (values then in ml/l).
"""
from __future__ import annotations

import netCDF4
import numpy as np

from preprocessing import units
from preprocessing.synthetic.faults import BAD_FLAG

FILL = np.float32(-1e10)
VARS = (("Temperature", "temperature", "degree_C", "sea_water_temperature"),
        ("Salinity", "salinity", None, "sea_water_salinity"),
        ("Oxygen", "oxygen", "umol/kg", "volume_fraction_of_oxygen_in_sea_water"),
        ("Phosphate", "phosphate", "umol/kg", "mole_concentration_of_phosphate_in_sea_water"),
        ("Silicate", "silicate", "umol/kg", "mole_concentration_of_silicate_in_sea_water"),
        ("Nitrate", "nitrate", "umol/kg", "mole_concentration_of_nitrate_in_sea_water"))
EPOCH = np.datetime64("1770-01-01T00:00:00", "s")


def _chars(ds, name, strings, dim):
    n = ds.dimensions[dim].size
    arr = np.array([s.encode()[:n].ljust(n, b"\0") for s in strings], dtype=f"S{n}")
    v = ds.createVariable(name, "S1", ("casts", dim))
    v[:] = netCDF4.stringtochar(arr) if len(arr) else np.zeros((0, n), "S1")
    return v


def write(path, year, casts: np.ndarray, yc, mll: bool) -> int:
    """Write the WOD casts ``casts`` (indices into ``yc.cast``); returns the oxygen entries written."""
    c, lv = yc.cast, yc.level
    rows = np.nonzero(np.isin(lv["cast"], casts))[0]
    rows = rows[np.argsort(np.searchsorted(casts, lv["cast"][rows]), kind="stable")]
    order = np.searchsorted(casts, lv["cast"][rows])
    nz = np.bincount(order, minlength=len(casts)).astype(np.int32)
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.setncatts({"institution": "National Centers for Environmental Information (NCEI), NOAA (synthetic OSSE)",
                  "source": "World Ocean Database", "title": "WOD Multi-cast file (synthetic)",
                  "time_coverage_start": f"{year}-01-01", "time_coverage_end": f"{year}-12-31",
                  "featureType": "Profile", "cdm_data_type": "Profile", "Conventions": "CF-1.6"})
    ds.createDimension("casts", len(casts))
    ds.createDimension("z_obs", len(rows))
    ds.createDimension("strnlen", 170)
    ds.createDimension("strnlensmall", 40)
    _chars(ds, "country", ["UNITED STATES"] * len(casts), "strnlensmall")
    _chars(ds, "WOD_cruise_identifier", [f"US{int(k):06d}" for k in c["cruise"][casts]], "strnlensmall")
    ds.createVariable("wod_unique_cast", "i4", ("casts",), fill_value=False)[:] = (year % 100) * 1000000 + np.arange(len(casts))
    ds["wod_unique_cast"].cf_role = "profile_id"
    for name, vals, att in (("lat", c["lat"][casts], {"standard_name": "latitude", "units": "degrees_north"}),
                            ("lon", c["lon"][casts], {"standard_name": "longitude", "units": "degrees_east"})):
        v = ds.createVariable(name, "f4", ("casts",), fill_value=False)
        v.setncatts(att)
        v[:] = vals
    t = c["time"][casts]
    v = ds.createVariable("time", "f8", ("casts",), fill_value=-1e10)
    v.setncatts({"standard_name": "time", "units": "days since 1770-01-01 00:00:00 UTC"})
    v[:] = (t - EPOCH).astype(np.float64) / 86400.0
    d = t.astype("datetime64[D]")
    ds.createVariable("date", "i4", ("casts",), fill_value=False)[:] = np.array(
        [int(str(x).replace("-", "")) for x in d], np.int32) if len(d) else []
    ds["date"].comment = "YYYYMMDD"
    v = ds.createVariable("GMT_time", "f4", ("casts",), fill_value=False)
    v.units = "hours"
    v[:] = (t - d).astype(np.float64) / 3600.0
    v = ds.createVariable("Bottom_Depth", "f4", ("casts",), fill_value=FILL)
    v.units = "meters"
    v[:] = np.nan_to_num(c["bottom"][casts], nan=-1e10)
    _chars(ds, "dataset", ["bottle" if yc.year < 1990 else "CTD"] * len(casts), "strnlen")
    v = ds.createVariable("z", "f4", ("z_obs",), fill_value=False)
    v.setncatts({"standard_name": "depth", "units": "m", "positive": "down"})
    v[:] = lv["depth"][rows]
    v = ds.createVariable("z_row_size", "i4", ("casts",), fill_value=np.int32(0))
    v.sample_dimension = "z_obs"
    v[:] = nz
    n_o2 = 0
    for name, key, unit, std in VARS:
        has = c["has_o2"][casts] if key in ("oxygen",) else (
            c["has_nut"][casts] if key in ("phosphate", "silicate", "nitrate") else np.ones(len(casts), bool))
        sel = has[order]
        vals = lv[key][rows][sel].astype(np.float64)
        if key == "oxygen":
            n_o2 = int(sel.sum())
            if mll:
                r = rows[sel]
                vals = np.round(vals * units.in_situ_density(lv["temperature"][r], lv["salinity"][r], lv["pressure"][r],
                                                            lv["depth"][r] * 0 + c["lat"][lv["cast"][r]]) / 1000.0
                                / units.ML_PER_L_TO_UMOL_PER_L, 3)
                unit = "ml/l"
        ds.createDimension(f"{name}_obs", int(sel.sum()))
        v = ds.createVariable(name, "f4", (f"{name}_obs",), fill_value=FILL)
        v.setncatts({k: a for k, a in (("long_name", std), ("standard_name", std), ("units", unit),
                                        ("coordinates", "time lat lon z")) if a is not None})
        v[:] = np.where(np.isfinite(vals), vals, FILL).astype(np.float32)
        fl = np.zeros(int(sel.sum()), np.int8)
        if key == "oxygen":
            bad = lv["fault"][rows][sel] == BAD_FLAG
            fl[bad] = 2 + (np.nonzero(bad)[0] % 3)
        f = ds.createVariable(f"{name}_WODflag", "i1", (f"{name}_obs",), fill_value=False)
        f.setncatts({"long_name": "WOD_observation_flag", "flag_values": np.arange(10, dtype=np.int8),
                     "flag_meanings": "accepted range_out inversion gradient anomaly gradient+inversion "
                                      "range+inversion range+gradient range+anomaly range+inversion+gradient"})
        f[:] = fl
        v = ds.createVariable(f"{name}_row_size", "i4", ("casts",), fill_value=np.int32(0))
        v.setncatts({"long_name": f"number of {name} observations for this cast", "sample_dimension": f"{name}_obs"})
        v[:] = np.where(has, nz, 0)
        ds.createVariable(f"{name}_WODprofileflag", "i1", ("casts",), fill_value=False)[:] = np.zeros(len(casts), np.int8)
    ds.createVariable("crs", "i4", ()).grid_mapping_name = "latitude_longitude"
    ds.close()
    return n_o2
