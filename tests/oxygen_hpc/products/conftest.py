"""Fixtures for the products tests: a tiny synthetic ocean (built once per session) and a writer for yearly
reconstruction files in the predict format (CF-NetCDF, time=1, ``_FillValue`` on land, optional ``o2_std``)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import netCDF4  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
FILL = np.float32(9.96921e36)


@pytest.fixture(scope="session")
def tiny_ocean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny_ocean")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "oxygen_hpc.cli", "synth", "--config",
                    str(ROOT / "configs/synthetic/tiny.yaml"), "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT, env=env)
    return out


def write_recon_year(path: Path, year: int, depth, lat, lon, o2, std=None) -> Path:
    """One yearly reconstruction file: o2 [depth, lat, lon] with NaN = land/below bottom."""
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.Conventions = "CF-1.8"
        for name, n in (("time", None), ("depth", len(depth)), ("lat", len(lat)), ("lon", len(lon))):
            ds.createDimension(name, n)
        t = ds.createVariable("time", "f8", ("time",))
        t.setncatts({"standard_name": "time", "units": "days since 1900-01-01 00:00:00", "calendar": "standard",
                     "axis": "T"})
        t[0] = (np.datetime64(f"{year}-07-02") - np.datetime64("1900-01-01")).astype(float)
        for name, vals, att in (("depth", depth, {"standard_name": "depth", "units": "m", "positive": "down"}),
                                ("lat", lat, {"standard_name": "latitude", "units": "degrees_north"}),
                                ("lon", lon, {"standard_name": "longitude", "units": "degrees_east"})):
            v = ds.createVariable(name, "f8", (name,))
            v.setncatts(att)
            v[:] = vals
        fields = [("o2", o2)] + ([("o2_std", std)] if std is not None else [])
        for name, field in fields:
            v = ds.createVariable(name, "f4", ("time", "depth", "lat", "lon"), fill_value=FILL)
            v.setncatts({"standard_name": "moles_of_oxygen_per_unit_mass_in_sea_water", "units": "umol kg-1"}
                        if name == "o2" else {"long_name": "O2 uncertainty (std)", "units": "umol kg-1"})
            v[0] = np.ma.masked_invalid(np.asarray(field, np.float32))
    return path


@pytest.fixture
def write_recon():
    """The yearly-file writer (:func:`write_recon_year`) as a fixture (test modules here are not a package)."""
    return write_recon_year
