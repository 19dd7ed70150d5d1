"""The written files: CF decoding with xarray, land = fill, every ocean cell finite, provenance, ensemble spread."""
from __future__ import annotations

import hashlib
import json

import netCDF4
import numpy as np
import xarray as xr

from oxygen_hpc import __version__
from oxygen_hpc.inference.writer import COMPLETE_ATTR, FILL
from oxygen_contracts import schema

from .infer_util import YEARS, predict


def owned_cells(parts, year) -> np.ndarray:
    import h5py

    m = json.loads((parts / "manifest.json").read_text())
    with h5py.File(parts / schema.year_file(year), "r") as f:
        return np.concatenate([f[schema.zone_group(p["zone"])]["cell"][()][f[schema.zone_group(p["zone"])]["owned"][()]]
                               for p in m["partitions"] if p["year"] == year])


def test_files_decode_as_cf_and_open_as_one_set(reference, infer_parts, ckpts):
    files = sorted(reference.glob("*.nc"))
    assert [f.name for f in files] == [f"o2_{y}.nc" for y in range(YEARS[0], YEARS[1] + 1)]
    ds = xr.open_mfdataset([str(f) for f in files], combine="by_coords")
    assert np.issubdtype(ds["time"].dtype, np.datetime64)
    assert list(ds.indexes["time"].year) == list(range(YEARS[0], YEARS[1] + 1))
    assert all(t.month == 7 and t.day in (2, 3) for t in ds.indexes["time"])          # mid-year
    o2 = ds["o2"]
    assert o2.dims == ("time", "depth", "lat", "lon") and o2.dtype == np.float32
    assert o2.attrs["units"] == "umol kg-1" and "µmol kg-1" in o2.attrs["long_name"]
    assert o2.attrs["standard_name"] == "moles_of_oxygen_per_unit_mass_in_sea_water"
    assert ds["depth"].attrs["positive"] == "down" and ds["depth"].attrs["axis"] == "Z"
    assert ds["lat"].attrs["units"] == "degrees_north" and ds["lon"].attrs["units"] == "degrees_east"
    assert "o2_std" not in ds
    m = json.loads((infer_parts / "manifest.json").read_text())
    np.testing.assert_allclose(ds["depth"].values, m["grid"]["depth_levels"])
    assert ds["lat"].size * m["grid"]["resolution_deg"] == 180 and ds["lon"].size * m["grid"]["resolution_deg"] == 360
    # ocean = the partitions' owned cells: finite there, fill (NaN once decoded) everywhere else
    vals = o2.values
    for n, y in enumerate(range(YEARS[0], YEARS[1] + 1)):
        ocean = np.zeros(vals[n].size, bool)
        ocean[owned_cells(infer_parts, y)] = True
        flat = vals[n].ravel()
        assert ocean.sum() > 0 and (~ocean).sum() > 0
        assert np.isfinite(flat[ocean]).all() and np.isnan(flat[~ocean]).all()
        assert (flat[ocean] > -500).all() and (flat[ocean] < 1500).all()
    ds.close()
    with netCDF4.Dataset(files[0]) as nc:
        assert nc["o2"]._FillValue == FILL
        raw = nc["o2"][:]
        assert np.ma.count_masked(raw) == (~np.isfinite(vals[0])).sum()
        assert nc.Conventions == "CF-1.8" and nc.software_version == __version__
        assert json.loads(nc.checkpoint_sha256) == [hashlib.sha256(ckpts[0].read_bytes()).hexdigest()]
        assert nc.partitions_manifest_sha256 == hashlib.sha256((infer_parts / "manifest.json").read_bytes()).hexdigest()
        assert json.loads(nc.config)["batch_nodes"] > 0 and json.loads(nc.grid) == m["grid"]
        assert len(getattr(nc, COMPLETE_ATTR)) == 64


def test_ensemble_writes_mean_and_nonnegative_std(infer_parts, ckpts, reference, tmp_path):
    out = tmp_path / "ens"
    assert predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", out, "--years", "2001:2002") == 0
    assert sorted(f.name for f in out.glob("*.nc")) == ["o2_2001.nc", "o2_2002.nc"]
    one = tmp_path / "one"
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[1], "--out", one, "--years", "2001") == 0
    with xr.open_dataset(out / "o2_2001.nc") as e, xr.open_dataset(reference / "o2_2001.nc") as a, \
            xr.open_dataset(one / "o2_2001.nc") as b:
        std, mean = e["o2_std"].values, e["o2"].values
        ocean = np.isfinite(a["o2"].values)
        assert np.array_equal(np.isfinite(std), ocean) and (std[ocean] >= 0).all() and std[ocean].max() > 0
        np.testing.assert_allclose(mean[ocean], (a["o2"].values[ocean] + b["o2"].values[ocean]) / 2, rtol=1e-6)
        np.testing.assert_allclose(std[ocean], np.abs(a["o2"].values[ocean] - b["o2"].values[ocean]) / 2,
                                   rtol=1e-4, atol=1e-4)
        assert e.attrs["ensemble_size"] == 2 and e["o2_std"].attrs["units"] == "umol kg-1"
