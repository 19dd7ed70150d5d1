"""`oxygen-hpc products` end to end: files written, PNGs non-empty, config errors exit 2 with one line."""
from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import xarray as xr

from oxygen_hpc.products.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == PNG
    return struct.unpack(">II", head[16:24])


def test_cli_writes_everything(tiny_ocean, tmp_path, write_recon, capsys):
    recon = tmp_path / "recon"
    recon.mkdir()
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        for n in range(4):
            y = int(ds["time"].dt.year.values[n])
            o2 = ds["o2"].isel(time=n).values
            write_recon(recon / f"year={y}.nc", y, ds["depth"].values, ds["lat"].values, ds["lon"].values,
                        o2, std=np.where(np.isfinite(o2), 2.0, np.nan))
    out = tmp_path / "products"
    cfg = tmp_path / "p.yaml"
    cfg.write_text("thresholds: [60, 20, 30]\nmap_depths: [0, 480]\nmap_years: [1996, 1800]\n")
    assert main(["--config", str(cfg), "--input", str(recon), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ("products_yearly.csv", "trends.csv", "products.nc", "maps", "timeseries"):
        assert name in printed
    yearly = pd.read_csv(out / "products_yearly.csv")
    trends = pd.read_csv(out / "trends.csv")
    assert len(yearly) == 4 * 6
    assert {"omz20_area_km2", "omz30_volume_km3", "omz60_area_km2", "inventory_mol"} <= set(yearly.columns)
    inv = trends[(trends.series == "inventory_mol") & (trends.region == "global")].iloc[0]
    assert inv.n == 4 and inv.ci95_low < inv.slope_per_decade < inv.ci95_high
    with xr.open_dataset(out / "products.nc") as ds:
        ds = ds.set_xindex("region_name")             # region names: a CF label (auxiliary coordinate)
        assert ds.attrs["Conventions"] == "CF-1.8" and ds["o2_inventory"].attrs["units"] == "mol"
        assert list(ds["threshold"].values) == [20.0, 30.0, 60.0]
        glob = yearly[yearly.region == "global"]
        np.testing.assert_allclose(ds["o2_inventory"].sel(region_name="global").values, glob["inventory_mol"])
        np.testing.assert_allclose(ds["omz_area"].sel(region_name="global", threshold=30.0).values,
                                   glob["omz30_area_km2"])
        assert list(ds["year"].values) == list(glob["year"])
    maps = sorted((out / "maps").glob("o2_1*.png"))
    assert [p.name for p in maps] == ["o2_1996_0m.png", "o2_1996_500m.png"]   # nearest level; 1800 absent
    trend_maps = sorted(p.name for p in (out / "maps").glob("o2_trend_*.png"))
    assert trend_maps == ["o2_trend_0m.png", "o2_trend_500m.png"]
    assert "1800" in printed
    series = sorted(p.name for p in (out / "timeseries").glob("*.png"))
    assert series == ["inventory.png", "inventory_basins.png", "omz_area.png"]
    for p in maps + sorted((out / "timeseries").glob("*.png")):
        assert p.stat().st_size > 5000
    # with o2_std the map has a second panel: taller than a single-panel map
    single = tmp_path / "single"
    assert main(["--input", str(tiny_ocean / "truth.nc"), "--out", str(single), "--map-years", "1996",
                 "--no-basins"]) == 0
    assert png_size(maps[0])[1] > 1.5 * png_size(single / "maps" / "o2_1996_0m.png")[1]


def test_bad_config_key_exits_2(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("input: x.nc\nthreshold: [30]\n")
    assert main(["--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'threshold'" in err and "unknown key" in err


def test_bad_values_and_missing_input_exit_2(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("input: x.nc\nthresholds: [30, -1]\n")
    assert main(["--config", str(cfg)]) == 2
    assert "'thresholds'" in capsys.readouterr().err
    assert main(["--out", str(tmp_path / "o")]) == 2                      # no input at all
    assert "'input'" in capsys.readouterr().err
    assert main(["--input", str(tmp_path / "nothing_here"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nothing_here" in err
