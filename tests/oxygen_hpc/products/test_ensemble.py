"""Products per ensemble member against an independent numpy computation, on yearly files written by the predict
writer (``o2_member``) from the tiny synthetic ocean: member m = truth + C[m] + D[m]·(year − first year), so the
mean field is the truth and the spread of the inventory, of the mean O2 and of the trends is known exactly."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from oxygen_contracts.grid import GridSpec
from oxygen_hpc.inference.writer import write_year
from oxygen_hpc.products.basins import basin_masks
from oxygen_hpc.products.cli import main
from oxygen_hpc.products.config import ProductsConfig
from oxygen_hpc.products.pipeline import compute

C = np.array([-4.0, 0.0, 4.0])          # µmol/kg offset of each member
D = np.array([-0.5, 0.0, 0.5])          # µmol/kg per year of each member
N_YEARS = 8
THRESHOLDS = [20.0, 30.0, 60.0, 90.0]


@pytest.fixture(scope="module")
def ens(tiny_ocean, tmp_path_factory):
    out = tmp_path_factory.mktemp("ens") / "recon"
    with xr.open_dataset(tiny_ocean / "truth.nc") as ds:
        years = ds["time"].dt.year.values[:N_YEARS].astype(int)
        grid = GridSpec(resolution_deg=10.0, depth_levels=tuple(ds["depth"].values.tolist()),
                        year_start=int(years[0]), year_end=int(years[-1]), zones_lon=4, zones_lat=2)
        truth = ds["o2"].values[:N_YEARS].astype(np.float64)
        volume = ds["cell_volume"].values
        lat, lon = ds["lat"].values, ds["lon"].values
    members = []
    for n, y in enumerate(years):
        mem = np.stack([truth[n] + c + d * n for c, d in zip(C, D)]).astype(np.float32)
        members.append(mem)
        write_year(out, int(y), grid, truth[n], mem.std(0), {"ensemble_size": 3}, "test", members=mem)
    return {"dir": out, "years": years, "truth": truth, "members": np.stack(members).astype(np.float64),
            "volume": volume, "lat": lat, "lon": lon, "truth_nc": tiny_ocean / "truth.nc"}


def by_hand(e) -> dict:
    """Independent products of every member: {quantity: [member, year, (threshold,) region]} (global + basins)."""
    r = 6371e3
    lat = np.deg2rad(e["lat"])
    area = (r ** 2 * np.deg2rad(10.0) * (np.sin(lat + np.deg2rad(5)) - np.sin(lat - np.deg2rad(5))))[:, None] \
        * np.ones(len(e["lon"]))[None]
    regions = [np.ones(area.shape, bool), *basin_masks(e["lat"], e["lon"]).values()]
    f = e["members"]                                            # [year, member, depth, lat, lon]
    ny, nm = f.shape[:2]
    out = {k: np.zeros((nm, ny, len(regions))) for k in ("inv", "mean")}
    out.update({k: np.zeros((nm, ny, len(THRESHOLDS), len(regions))) for k in ("area", "vol")})
    for n in range(ny):
        ocean = np.isfinite(e["truth"][n]) & (e["volume"] > 0)
        for m in range(nm):
            x = f[n, m]
            for k, cols in enumerate(regions):
                cells = ocean & cols[None]
                v = e["volume"][cells]
                out["inv"][m, n, k] = np.sum(x[cells] * 1e-6 * 1025.0 * v)
                out["mean"][m, n, k] = np.sum(x[cells] * v) / v.sum()
                for a, t in enumerate(THRESHOLDS):
                    low = cells & (np.where(ocean, x, np.inf) < t)
                    out["area"][m, n, a, k] = area[low.any(axis=0)].sum() / 1e6
                    out["vol"][m, n, a, k] = e["volume"][low].sum() / 1e9
    return out


def run_cli(e, out, capsys) -> str:
    assert main(["--input", str(e["dir"]), "--out", str(out), "--geometry", str(e["truth_nc"]),
                 "--no-maps"]) == 0
    return capsys.readouterr().out


def test_member_products_match_numpy(ens, tmp_path, capsys):
    want = by_hand(ens)
    prod = compute(ProductsConfig(input=str(ens["dir"]), geometry_file=str(ens["truth_nc"]), maps=False))
    assert prod.thresholds == THRESHOLDS and prod.members is not None and prod.members.n == 3
    np.testing.assert_allclose(prod.members.inventory, want["inv"], rtol=1e-9)
    np.testing.assert_allclose(prod.members.o2_mean, want["mean"], rtol=1e-9)
    np.testing.assert_allclose(prod.members.omz_area, want["area"], rtol=1e-9)
    np.testing.assert_allclose(prod.members.omz_volume, want["vol"], rtol=1e-9)
    assert want["area"][:, :, 1, 0].max() > 0 and want["vol"][:, :, 3, 0].max() > 0     # OMZs exist
    # the yearly table: <column>_std right after each member-dependent column = std across members (ddof 0)
    run_cli(ens, tmp_path / "p", capsys)
    yearly = pd.read_csv(tmp_path / "p" / "products_yearly.csv")
    cols = list(yearly.columns)
    for c in ("inventory_mol", "o2_mean_umol_kg", "omz90_area_km2", "omz60_volume_km3"):
        assert cols[cols.index(c) + 1] == f"{c}_std"
    assert "ocean_volume_km3_std" not in cols and "year_std" not in cols
    ny, nr = N_YEARS, len(prod.regions)
    np.testing.assert_allclose(yearly["inventory_mol_std"], want["inv"].std(0).reshape(ny * nr), rtol=1e-9)
    np.testing.assert_allclose(yearly["o2_mean_umol_kg_std"], want["mean"].std(0).reshape(ny * nr), rtol=1e-9,
                               atol=1e-9)
    for a, t in enumerate(THRESHOLDS):
        np.testing.assert_allclose(yearly[f"omz{t:g}_area_km2_std"], want["area"][:, :, a].std(0).reshape(ny * nr),
                                   rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(yearly[f"omz{t:g}_volume_km3_std"], want["vol"][:, :, a].std(0).reshape(-1),
                                   rtol=1e-9, atol=1e-6)
    # known exactly: offsets s_m(t) = C[m] + D[m]·t shift every cell, so inventory std = K·std(s), mean O2 std = std(s)
    s = C[None] + D[None] * np.arange(ny)[:, None]                             # [year, member]
    k_glob = 1e-6 * 1025.0 * ens["volume"][np.isfinite(ens["truth"][0]) & (ens["volume"] > 0)].sum()
    glob = yearly[yearly.region == "global"]
    np.testing.assert_allclose(glob["inventory_mol_std"], k_glob * s.std(1), rtol=1e-5)
    np.testing.assert_allclose(glob["o2_mean_umol_kg_std"], s.std(1), rtol=1e-5)
    # products.nc carries the same spread as <variable>_std
    with xr.open_dataset(tmp_path / "p" / "products.nc") as ds:
        ds = ds.set_xindex("region_name")
        np.testing.assert_allclose(ds["o2_inventory_std"].sel(region_name="global").values, glob["inventory_mol_std"])
        np.testing.assert_allclose(ds["omz_volume_std"].sel(region_name="pacific", threshold=60.0).values,
                                   yearly[yearly.region == "pacific"]["omz60_volume_km3_std"], rtol=1e-9)
        assert ds["omz_area"].attrs["ancillary_variables"] == "omz_area_std" and ds.attrs["ensemble_size"] == 3


def test_trend_uncertainty_from_members(ens, tmp_path, capsys):
    want = by_hand(ens)
    run_cli(ens, tmp_path / "p", capsys)
    trends = pd.read_csv(tmp_path / "p" / "trends.csv")
    years = ens["years"]
    prod = compute(ProductsConfig(input=str(ens["dir"]), geometry_file=str(ens["truth_nc"]), maps=False))
    regions = prod.regions
    checks = [("inventory_mol", "global", np.nan, prod.inventory[:, 0], want["inv"][:, :, 0]),
              ("inventory_mol", "indian", np.nan, prod.inventory[:, regions.index("indian")],
               want["inv"][:, :, regions.index("indian")]),
              ("omz60_volume_km3", "global", 60.0, prod.omz_volume[:, 2, 0], want["vol"][:, :, 2, 0]),
              ("omz30_area_km2", "pacific", 30.0, prod.omz_area[:, 1, regions.index("pacific")],
               want["area"][:, :, 1, regions.index("pacific")])]
    for series, region, _, central, members in checks:
        row = trends[(trends.series == series) & (trends.region == region)].iloc[0]
        ols = stats.linregress(years, central)
        slopes = np.array([10 * stats.linregress(years, m).slope for m in members])
        total = np.sqrt((10 * ols.stderr) ** 2 + slopes.var())           # var(ddof=0)
        assert np.isclose(row.slope_per_decade, 10 * ols.slope, rtol=1e-9, atol=1e-9)
        assert np.isclose(row.slope_members_std_per_decade, slopes.std(), rtol=1e-6, atol=1e-9)
        assert np.isclose(row.slope_members_mean_per_decade, slopes.mean(), rtol=1e-6, atol=1e-9)
        assert np.isclose(row.se_total_per_decade, total, rtol=1e-6, atol=1e-9)
        q = stats.t.ppf(0.975, len(years) - 2)
        assert np.isclose(row.ci95_total_high - row.ci95_total_low, 2 * q * total, rtol=1e-6, atol=1e-9)
        assert row.n_members == 3 and row.se_total_per_decade >= row.se_per_decade
    # the inventory's member slopes differ by D·K per year exactly
    inv = trends[(trends.series == "inventory_mol") & (trends.region == "global")].iloc[0]
    k_glob = 1e-6 * 1025.0 * ens["volume"][np.isfinite(ens["truth"][0]) & (ens["volume"] > 0)].sum()
    assert np.isclose(inv.slope_members_std_per_decade, 10 * k_glob * D.std(), rtol=1e-5)


def test_headline_printout(ens, tmp_path, capsys):
    want = by_hand(ens)
    out = run_cli(ens, tmp_path / "p", capsys)
    print(out)
    tail = out.strip().splitlines()[-5:]
    assert tail[0].startswith("headline (1995-2002; ensemble of 3 members")
    trends = pd.read_csv(tmp_path / "p" / "trends.csv")
    inv = trends[(trends.series == "inventory_mol") & (trends.region == "global")].iloc[0]
    num = r"([-+0-9.e]+)"
    m = re.search(rf"global O2 inventory change: {num} ± {num} mol/decade", tail[1])
    assert np.isclose(float(m[1]), inv.slope_per_decade, rtol=1e-3)
    assert np.isclose(float(m[2]), inv.se_total_per_decade, rtol=5e-2)
    prod = compute(ProductsConfig(input=str(ens["dir"]), geometry_file=str(ens["truth_nc"]), maps=False,
                                  basins=False))
    early, late = np.arange(N_YEARS) < 4, np.arange(N_YEARS) >= 4    # 8 years: the first and last 4
    for line, a in ((tail[2], 1), (tail[3], 2)):
        t = THRESHOLDS[a]
        m = re.search(rf"OMZ{t:g} volume \(O2 < {t:g} umol/kg\): 1995-1998 {num} ± {num} km3, "
                      rf"1999-2002 {num} ± {num} km3", line)
        assert m, line
        for (v, sd), period in (((m[1], m[2]), early), ((m[3], m[4]), late)):
            assert np.isclose(float(v), prod.omz_volume[period, a, 0].mean(), rtol=1e-3)
            assert np.isclose(float(sd), want["vol"][:, period, a, 0].mean(1).std(), rtol=5e-2)
    m = re.search(rf"OMZ30 area ratio 1999-2002 / 1995-1998: {num} ± {num}", tail[4])
    area = want["area"][:, :, 1, 0]
    ratios = area[:, late].mean(1) / area[:, early].mean(1)
    assert np.isclose(float(m[1]), prod.omz_area[late, 1, 0].mean() / prod.omz_area[early, 1, 0].mean(), rtol=1e-3)
    assert np.isclose(float(m[2]), ratios.std(), rtol=5e-2)


def test_without_members_outputs_are_unchanged(ens, tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.mkdir()
    for y in (1995, 1996, 1997):
        with xr.open_dataset(ens["dir"] / f"o2_{y}.nc") as ds:
            ds.drop_vars(["o2_member", "member"]).to_netcdf(plain / f"o2_{y}.nc")
    out = tmp_path / "p"
    assert main(["--input", str(plain), "--out", str(out), "--no-maps", "--no-basins"]) == 0
    printed = capsys.readouterr().out
    yearly = pd.read_csv(out / "products_yearly.csv")
    base = ["year", "region", "inventory_mol", "o2_mean_umol_kg", "ocean_volume_km3"]
    assert list(yearly.columns) == base + [f"omz{t:g}_{q}" for t in THRESHOLDS for q in ("area_km2", "volume_km3")]
    trends = pd.read_csv(out / "trends.csv")
    assert list(trends.columns) == ["series", "region", "threshold", "units", "n", "mean", "slope_per_decade",
                                    "se_per_decade", "ci95_low", "ci95_high", "p_value", "pct_per_decade",
                                    "pct_se_per_decade", "pct_ci95_low", "pct_ci95_high", "intercept"]
    with xr.open_dataset(out / "products.nc") as ds:
        assert not [v for v in ds.variables if str(v).endswith("_std")] and "ensemble_size" not in ds.attrs
    tail = printed.strip().splitlines()[-5:]
    assert "no ensemble members" in tail[0] and "OLS SE, no ensemble members" in tail[1] and "n/a" not in tail[1]
    assert tail[2].count("± n/a") == 2 and tail[3].count("± n/a") == 2 and tail[4].endswith("± n/a")


def test_default_thresholds_include_godip_do():
    from oxygen_hpc.products.config import load_config

    assert ProductsConfig().thresholds == [20.0, 30.0, 60.0, 90.0]
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    cfg = load_config(root / "configs/products/demo.yaml")
    assert cfg.thresholds == [20.0, 30.0, 60.0, 90.0] and cfg.member_variable == "o2_member"


def test_trend_uncertainty_formula():
    from oxygen_hpc.products.ensemble import trend_uncertainty

    rng = np.random.default_rng(5)
    years = np.arange(1960, 2001)
    central = 100.0 - 0.2 * (years - 1960) + rng.normal(0, 0.5, years.size)
    k = np.array([-0.03, 0.01, 0.02, 0.06])                       # per year: member slopes differ by 10·k per decade
    members = central[None] + k[:, None] * (years - 1960)[None] + rng.normal(0, 0.1, (4, years.size))
    got = trend_uncertainty(years, central, members)
    ols = stats.linregress(years, central)
    slopes = np.array([10 * stats.linregress(years, m).slope for m in members])
    total = np.sqrt((10 * ols.stderr) ** 2 + np.var(slopes, ddof=0))
    assert got["n_members"] == 4 and np.isclose(got["slope_members_std_per_decade"], slopes.std(), rtol=1e-10)
    assert np.isclose(got["se_total_per_decade"], total, rtol=1e-10)
    q = stats.t.ppf(0.975, years.size - 2)
    assert np.isclose(got["ci95_total_low"], 10 * ols.slope - q * total, rtol=1e-10)
    assert np.isclose(got["ci95_total_high"], 10 * ols.slope + q * total, rtol=1e-10)
    assert np.isclose(got["pct_se_total_per_decade"], 100 * total / central.mean(), rtol=1e-10)
    same = trend_uncertainty(years, central, np.stack([central, central]))      # no spread: the OLS SE alone
    assert same["slope_members_std_per_decade"] == 0 and np.isclose(same["se_total_per_decade"], 10 * ols.stderr)


def test_one_member_has_no_spread(ens, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    for y in (1995, 1996, 1997):
        with xr.open_dataset(ens["dir"] / f"o2_{y}.nc") as ds:
            ds.isel(member=[1]).to_netcdf(one / f"o2_{y}.nc")
    prod = compute(ProductsConfig(input=str(one), maps=False))
    assert prod.members is None and "inventory_mol_std" not in prod.yearly_table().columns


def test_decade_windows():
    from oxygen_hpc.products.headline import decade_windows

    early, late, a, b = decade_windows(np.arange(1920, 2024))
    assert (a, b) == ("1920-1929", "2010-2019") and early.sum() == 10 and late.sum() == 10
    assert np.arange(1920, 2024)[late][0] == 2010
    early, late, a, b = decade_windows(np.arange(1995, 2016))
    assert (a, b) == ("1995-2004", "2006-2015")
    assert decade_windows([2000])[2:] == ("2000-2000", "2000-2000")


def test_years_with_and_without_members_exit_2(ens, tmp_path, capsys):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "o2_1995.nc").write_bytes((ens["dir"] / "o2_1995.nc").read_bytes())
    with xr.open_dataset(ens["dir"] / "o2_1996.nc") as ds:
        ds.drop_vars(["o2_member", "member"]).to_netcdf(mixed / "o2_1996.nc")
    assert main(["--input", str(mixed), "--out", str(tmp_path / "p"), "--no-maps"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ensemble members" in err and str(mixed) in err
