"""products.nc (yearly series, per-basin labels, trend maps; with ensemble members their ``_std`` variables) passes
the IOOS compliance-checker's CF 1.8 suite with nothing to report."""
from __future__ import annotations

import numpy as np
import xarray as xr

from oxygen_contracts.grid import GridSpec
from oxygen_hpc.inference.writer import write_year
from oxygen_hpc.products.cli import main
from tests.fixtures.cf import cf_findings


def test_products_nc_passes_cf_1_8(tiny_ocean, tmp_path, write_recon):
    recon = tmp_path / "recon"
    recon.mkdir()
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        for n in range(4):
            y = int(ds["time"].dt.year.values[n])
            o2 = ds["o2"].isel(time=n).values
            write_recon(recon / f"o2_{y}.nc", y, ds["depth"].values, ds["lat"].values, ds["lon"].values, o2,
                        std=np.where(np.isfinite(o2), 2.0, np.nan))
    out = tmp_path / "products"
    assert main(["--input", str(recon), "--out", str(out), "--map-depths", "0", "200", "--no-maps"]) == 0
    with xr.open_dataset(out / "products.nc") as ds:
        assert {"o2_trend", "o2_trend_se", "omz_area", "region_name"} <= set(ds.variables)
        assert ds["o2_inventory"].dims == ("region", "time") and ds["time"].dtype.kind == "M"
    found = cf_findings(out / "products.nc")
    assert found == {"high": [], "medium": [], "low": [], "checker_errors": []}, found


def test_products_nc_with_members_passes_cf_1_8(tiny_ocean, tmp_path):
    recon = tmp_path / "recon"
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        grid = GridSpec(resolution_deg=10.0, depth_levels=tuple(ds["depth"].values.tolist()), year_start=1995,
                        year_end=2015, zones_lon=4, zones_lat=2)
        for n in range(4):
            o2 = ds["o2"].isel(time=n).values
            mem = np.stack([o2 - 3.0, o2 + 1.0 * n, o2 + 3.0 - 1.0 * n])
            write_year(recon, int(ds["time"].dt.year.values[n]), grid, mem.mean(0), mem.std(0), {}, "test",
                       members=mem)
    out = tmp_path / "products"
    assert main(["--input", str(recon), "--out", str(out), "--no-maps"]) == 0
    with xr.open_dataset(out / "products.nc") as ds:
        assert {"o2_inventory_std", "o2_mean_std", "omz_area_std", "omz_volume_std"} <= set(ds.variables)
    found = cf_findings(out / "products.nc")
    assert found == {"high": [], "medium": [], "low": [], "checker_errors": []}, found
