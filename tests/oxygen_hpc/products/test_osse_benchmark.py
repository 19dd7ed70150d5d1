"""benchmarks/osse_products.py on the tiny synthetic ocean: truth figures from summary.json, an exact
reconstruction has zero error."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[3]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("osse_products_bench", ROOT / "benchmarks/osse_products.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_osse_benchmark_truth_and_exact_reconstruction(tiny_ocean, tmp_path, write_recon, capsys):
    bench = load_benchmark()
    recon = tmp_path / "recon"
    recon.mkdir()
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        for n, y in enumerate(ds["time"].dt.year.values):
            write_recon(recon / f"year={y}.nc", int(y), ds["depth"].values, ds["lat"].values, ds["lon"].values,
                        ds["o2"].isel(time=n).values)
    out = tmp_path / "osse.json"
    assert bench.main(["--world", str(tiny_ocean), "--reconstruction", str(recon), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "OMZ30 area ratio" in printed and "%/decade" in printed
    res = json.loads(out.read_text())
    summary = json.loads((tiny_ocean / "summary.json").read_text())
    years = sorted(int(y) for y in summary["omz30_area_km2"])
    area = np.array([summary["omz30_area_km2"][str(y)] for y in years])
    inv = np.array([summary["inventory_mol"][str(y)] for y in years])
    w = min(10, len(years) // 2)                     # 1995–2015 has no 1920s: first vs last w years
    assert np.isclose(res["truth"]["omz30_area_ratio"], area[-w:].mean() / area[:w].mean(), rtol=1e-6)
    slope = np.polyfit(years, inv, 1)[0]
    assert np.isclose(res["truth"]["inventory_trend_pct_per_decade"], 1000 * slope / inv.mean(), rtol=1e-6)
    assert abs(res["errors"]["omz30_area_ratio"]) < 1e-9
    assert abs(res["errors"]["inventory_trend_pct_per_decade"]) < 1e-5
    assert res["errors"]["inventory_rel_rmse"] < 1e-6
    assert res["peak_rss_mib"] > 0


def test_decade_windows_prefers_1920s_and_2010s():
    bench = load_benchmark()
    early, late, label = bench.decade_windows(np.arange(1920, 2024))
    assert label == "2010-2019 / 1920-1929" and early.sum() == 10 and late.sum() == 10
    assert np.arange(1920, 2024)[late][0] == 2010
    early, late, label = bench.decade_windows(np.arange(2000, 2007))
    assert early.sum() == 3 and late.sum() == 3 and label == "2004-2006 / 2000-2002"
