"""OSSE products benchmark: true vs reconstructed OMZ30 expansion and O2 inventory trend.

On a synthetic ocean made by ``oxygen-hpc synth`` (``--world DIR``), computes the true products from
``DIR/truth.nc`` and, with ``--reconstruction`` (a folder of yearly CF-NetCDF files, a glob or one file), the
reconstructed ones, using the truth's cell volumes for both (``geometry_file``) so inventories are comparable.
Prints and writes (``--out``, JSON):

- ``omz30_area_ratio``: mean global OMZ30 area (O2 < 30 µmol/kg at any depth) of the 2010s over the 1920s when
  both decades are complete, else of the last 10 years over the first 10 (half the series if it is shorter);
- ``inventory_trend_pct_per_decade`` (± SE, 95 % CI) of the global O2 inventory (OLS);
- for the reconstruction, the same on its years, the truth restricted to those years, and the errors;
- runtime and peak RSS of the whole benchmark (the products stream one year at a time).

    .venv/bin/python benchmarks/osse_products.py --world demo_out/ocean --reconstruction demo_out/reconstruction \\
        --out demo_out/osse_products.json
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oxygen_hpc.products.config import ProductsConfig  # noqa: E402
from oxygen_hpc.products.pipeline import Products, compute  # noqa: E402
from oxygen_hpc.products.trends import ols_trend  # noqa: E402


def decade_windows(years: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Boolean masks (early, late) and a label for the OMZ ratio's two periods."""
    ys = set(years.tolist())
    if all(y in ys for y in range(1920, 1930)) and all(y in ys for y in range(2010, 2020)):
        return (years >= 1920) & (years <= 1929), (years >= 2010) & (years <= 2019), "2010-2019 / 1920-1929"
    w = max(1, min(10, len(years) // 2))
    early, late = np.zeros(len(years), bool), np.zeros(len(years), bool)
    early[:w], late[-w:] = True, True
    return early, late, f"{years[-w]}-{years[-1]} / {years[0]}-{years[w - 1]}"


def figures(p: Products, keep: np.ndarray | None = None) -> dict:
    g, t30 = p.regions.index("global"), p.thresholds.index(30.0)
    keep = np.ones(len(p.years), bool) if keep is None else keep
    years, area, inv = p.years[keep], p.omz_area[keep, t30, g], p.inventory[keep, g]
    early, late, label = decade_windows(years)
    tr = ols_trend(years, inv)
    return {"years": [int(years[0]), int(years[-1])], "n_years": int(len(years)),
            "omz30_area_ratio": float(area[late].mean() / area[early].mean()) if area[early].mean() > 0 else None,
            "omz30_ratio_periods": label,
            "omz30_area_km2_early": float(area[early].mean()), "omz30_area_km2_late": float(area[late].mean()),
            "inventory_mol_mean": float(inv.mean()),
            "inventory_trend_pct_per_decade": tr.pct_per_decade, "inventory_trend_pct_se": tr.pct_se_per_decade,
            "inventory_trend_pct_ci95": [tr.pct_ci95_low, tr.pct_ci95_high],
            "inventory_trend_mol_per_decade": tr.slope_per_decade}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", required=True, help="synthetic ocean directory (holds truth.nc)")
    ap.add_argument("--reconstruction", help="reconstruction: folder of yearly files, glob or file")
    ap.add_argument("--out", help="write the figures here as JSON")
    a = ap.parse_args(argv)
    truth_nc = Path(a.world) / "truth.nc"
    if not truth_nc.exists():
        print(f"osse_products: {truth_nc} not found (make one with oxygen-hpc synth)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    base = dict(maps=False, basins=False, timeseries=False)
    truth = compute(ProductsConfig(input=str(truth_nc), **base))
    t_truth = time.perf_counter() - t0
    res = {"world": str(Path(a.world).resolve()), "truth": figures(truth)}
    lines = [_line("truth", res["truth"])]
    if a.reconstruction:
        t1 = time.perf_counter()
        rec = compute(ProductsConfig(input=a.reconstruction, geometry_file=str(truth_nc), **base))
        res["reconstruction_s"] = round(time.perf_counter() - t1, 3)
        common = np.isin(truth.years, rec.years)
        if not common.any():
            print("osse_products: the reconstruction shares no year with the truth", file=sys.stderr)
            return 2
        res["reconstruction"] = figures(rec, np.isin(rec.years, truth.years))
        res["truth_on_reconstruction_years"] = figures(truth, common)
        tc, rc = res["truth_on_reconstruction_years"], res["reconstruction"]
        g = truth.regions.index("global")
        ti, ri = truth.inventory[common, g], rec.inventory[np.isin(rec.years, truth.years), g]
        res["errors"] = {
            "omz30_area_ratio": _diff(rc["omz30_area_ratio"], tc["omz30_area_ratio"]),
            "inventory_trend_pct_per_decade": rc["inventory_trend_pct_per_decade"] - tc["inventory_trend_pct_per_decade"],
            "inventory_rel_rmse": float(np.sqrt(np.mean((ri / ti - 1) ** 2)))}
        lines += [_line("truth (recon years)", tc), _line("reconstruction", rc)]
    res["truth_s"] = round(t_truth, 3)
    res["runtime_s"] = round(time.perf_counter() - t0, 3)
    res["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("\n".join(lines))
    if "errors" in res:
        e = res["errors"]
        print(f"errors: OMZ30 ratio {e['omz30_area_ratio']:+.3f}, inventory trend "
              f"{e['inventory_trend_pct_per_decade']:+.3f} %/decade, inventory rel. RMSE {e['inventory_rel_rmse']:.4f}")
    print(f"runtime {res['runtime_s']:.2f} s (truth {res['truth_s']:.2f} s, {truth.years.size} years), "
          f"peak RSS {res['peak_rss_mib']:.0f} MiB")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=1))
        print(f"figures written to {Path(a.out).resolve()}")
    return 0


def _diff(a, b):
    return None if a is None or b is None else a - b


def _line(name: str, f: dict) -> str:
    ratio = "n/a" if f["omz30_area_ratio"] is None else f"{f['omz30_area_ratio']:.3f}"
    lo, hi = f["inventory_trend_pct_ci95"]
    return (f"{name:<20} {f['years'][0]}-{f['years'][1]}: OMZ30 area ratio {ratio} ({f['omz30_ratio_periods']}), "
            f"inventory trend {f['inventory_trend_pct_per_decade']:+.3f} %/decade (95% CI {lo:+.3f} to {hi:+.3f})")


if __name__ == "__main__":
    sys.exit(main())
