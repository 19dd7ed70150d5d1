"""products.nc (yearly series, per-basin labels, trend maps) passes the IOOS compliance-checker's CF 1.8 suite
with nothing to report."""
from __future__ import annotations

import numpy as np
import xarray as xr

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
