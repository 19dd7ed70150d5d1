"""Truth products on a tiny synthetic ocean reproduce summary.json; yearly reconstruction files give the same
products as the equivalent single file."""
from __future__ import annotations

import json

import numpy as np
import xarray as xr

from oxygen_hpc.products.config import ProductsConfig
from oxygen_hpc.products.inventory import cell_volume_m3, column_area_m2
from oxygen_hpc.products.pipeline import compute


def test_truth_matches_summary(tiny_ocean):
    summary = json.loads((tiny_ocean / "summary.json").read_text())
    prod = compute(ProductsConfig(input=str(tiny_ocean / "truth.nc"), maps=False))
    g = prod.regions.index("global")
    t30 = prod.thresholds.index(30.0)
    assert [str(y) for y in prod.years] == list(summary["inventory_mol"])
    for n, y in enumerate(prod.years):
        want_inv = summary["inventory_mol"][str(y)]
        want_omz = summary["omz30_area_km2"][str(y)]
        assert abs(prod.inventory[n, g] / want_inv - 1) < 1e-6, (y, prod.inventory[n, g], want_inv)
        assert abs(prod.omz_area[n, t30, g] / want_omz - 1) < 1e-6, (y, prod.omz_area[n, t30, g], want_omz)
    # OMZ ordering: a lower threshold never has a larger area or volume
    assert np.all(np.diff(prod.omz_area[:, :, g], axis=1) >= 0)
    assert np.all(np.diff(prod.omz_volume[:, :, g], axis=1) >= 0)
    # basins partition every year's global numbers
    idx = [i for i, r in enumerate(prod.regions) if r != "global"]
    np.testing.assert_allclose(prod.inventory[:, idx].sum(axis=1), prod.inventory[:, g], rtol=1e-12)
    np.testing.assert_allclose(prod.omz_area[:, :, idx].sum(axis=2), prod.omz_area[:, :, g], rtol=1e-12)
    np.testing.assert_allclose(prod.omz_volume[:, :, idx].sum(axis=2), prod.omz_volume[:, :, g], rtol=1e-12)


def test_geometry_reproduces_truth_cell_volume(tiny_ocean):
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        ocean = np.isfinite(ds["o2"].isel(time=0).values)
        area = column_area_m2(ds["lat"].values, ds["lon"].values)
        vol = cell_volume_m3(ds["depth"].values, area, ocean, ds["bottom_depth"].values)
        np.testing.assert_allclose(vol, ds["cell_volume"].values, rtol=1e-9)


def test_gsw_density_option(tiny_ocean):
    base = compute(ProductsConfig(input=str(tiny_ocean / "truth.nc"), maps=False, basins=False))
    gsw = compute(ProductsConfig(input=str(tiny_ocean / "truth.nc"), maps=False, basins=False,
                                 density_from_ts=True))
    ratio = gsw.inventory[:, 0] / base.inventory[:, 0]
    assert np.all(ratio > 1.0) and np.all(ratio < 1.01)     # in-situ density 1025–1035 kg/m³ to 1000 m
    np.testing.assert_array_equal(gsw.omz_area, base.omz_area)


def test_yearly_files_equal_single_file(tiny_ocean, tmp_path, write_recon):
    recon = tmp_path / "recon"
    recon.mkdir()
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        years = ds["time"].dt.year.values[:3]
        lat, lon, depth = ds["lat"].values, ds["lon"].values, ds["depth"].values
        for n, y in enumerate(years):
            o2 = ds["o2"].isel(time=n).values
            write_recon(recon / f"year={y}.nc", int(y), depth, lat, lon, o2, std=0.05 * o2 + 1.0)
    files = sorted(recon.glob("*.nc"))
    with xr.open_mfdataset([str(f) for f in files]) as mf:   # the set opens as one dataset
        assert mf["o2"].sizes == {"time": 3, "depth": depth.size, "lat": lat.size, "lon": lon.size}
        assert np.isnan(mf["o2"].isel(time=0).values).any()  # _FillValue on land decodes to NaN
        single = tmp_path / "single.nc"
        mf.load().to_netcdf(single)
    cfg = dict(maps=False)
    a = compute(ProductsConfig(input=str(recon), **cfg)).yearly_table()
    b = compute(ProductsConfig(input=str(recon / "year=*.nc"), **cfg)).yearly_table()
    c = compute(ProductsConfig(input=str(single), **cfg)).yearly_table()
    assert len(a) == 3 * 6 and list(a["year"].unique()) == [int(y) for y in years]
    for other in (b, c):
        assert (a["region"] == other["region"]).all() and (a["year"] == other["year"]).all()
        num = a.columns.drop(["year", "region"])
        np.testing.assert_allclose(a[num].to_numpy(float), other[num].to_numpy(float), rtol=1e-12)
    # same O2 field as the truth: OMZ areas equal summary.json's
    summary = json.loads((tiny_ocean / "summary.json").read_text())
    glob_rows = a[a["region"] == "global"]
    for y, v in zip(glob_rows["year"], glob_rows["omz30_area_km2"]):
        assert abs(v / summary["omz30_area_km2"][str(y)] - 1) < 1e-6
    # with the truth's geometry (geometry_file) the reconstruction's inventory is the true one
    geo = compute(ProductsConfig(input=str(recon), geometry_file=str(tiny_ocean / "truth.nc"), **cfg))
    geo = geo.yearly_table()
    geo = geo[geo["region"] == "global"]
    for y, v in zip(geo["year"], geo["inventory_mol"]):
        assert abs(v / summary["inventory_mol"][str(y)] - 1) < 1e-6
