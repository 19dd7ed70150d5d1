"""Variability covariates cannot explain: its configured scales measured back from the output, the heave part that
moves with T/S, regional trend differences that do not, and within-cast noise correlated down a cast."""
import dataclasses
import json

import netCDF4
import numpy as np

from oxygen_contracts.config import load
from oxygen_contracts.grid import GridSpec
from preprocessing.synthetic import bathymetry
from preprocessing.synthetic.config import SynthConfig
from preprocessing.synthetic.fields import RandomField
from preprocessing.synthetic.ocean import Ocean
from preprocessing.synthetic.realism_stats import Correlogram
from preprocessing.synthetic.sampling import Sampler

from .conftest import TINY


def test_random_field_has_its_configured_scales():
    grid = GridSpec(resolution_deg=4.0, depth_levels=(0, 100, 200, 300, 500, 700), year_start=1900, year_end=1980)
    f = RandomField(1000.0, grid.depth, 300.0, 4.0, seed=7, modes=512, year0=grid.year_start)
    la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    basis = f.basis(la.ravel(), lo.ravel())
    corr = Correlogram(grid, np.ones((grid.nlev, grid.nlat, grid.nlon), bool), 3000.0, seed=1)
    for y in grid.years:
        f.set_year(y)
        corr.add(f.values(basis).T.reshape(grid.nlev, grid.nlat, grid.nlon))
    r = corr.result()
    assert abs(r["length_km"] / 1000.0 - 1) < 0.12, r
    assert abs(r["time_yr"] / 4.0 - 1) < 0.25, r
    assert abs(r["depth_m"] / 300.0 - 1) < 0.2, r
    f.set_year(1950)
    a = f.values(basis)
    f.set_year(1903)                            # jumping back replays: the same field for the same year
    f.set_year(1950)
    np.testing.assert_array_equal(f.values(basis), a)


def test_tiny_anomaly_has_the_configured_scales_measured_back_from_truth_nc(tiny):
    root, summary = tiny
    cfg = load(TINY, SynthConfig)
    v = cfg.variability
    with netCDF4.Dataset(root / "truth.nc") as ds:
        grid = GridSpec.from_dict(json.loads(ds.getncattr("grid")))
        a = np.asarray(ds["o2_anomaly"][:], np.float64)
        o2 = np.asarray(ds["o2"][:], np.float64)
    assert np.array_equal(np.isfinite(a), np.isfinite(o2))
    corr = Correlogram(grid, np.isfinite(a[0]), 3.0 * v.length_km, seed=cfg.seed)
    for year_field in a:
        corr.add(year_field)
    r = corr.result()
    assert r == summary["realism"]["anomaly"]["measured"]          # synth measured the same field it wrote
    assert abs(r["length_km"] / v.length_km - 1) < 0.25, r          # 10° cells: coarse distances
    assert abs(r["time_yr"] / v.time_scale_yr - 1) < 0.4, r         # 21 years
    assert abs(r["depth_m"] / v.depth_scale_m - 1) < 0.4, r         # 5 levels
    deep = grid.depth >= 1000
    assert np.nanstd(a[:, deep]) < 0.5 * np.nanstd(a[:, (grid.depth >= 200) & (grid.depth <= 500)])


def _ocean():
    cfg = load(TINY, SynthConfig)
    return cfg, bathymetry.build(cfg.grid), Ocean(cfg.grid, cfg.physics, cfg.seed, cfg.variability)


def test_heave_moves_t_and_o2_the_aou_anomaly_and_regional_trends_do_not_touch_t():
    cfg, b, oc = _ocean()
    g = cfg.grid
    pos = (g.lat[None, :, None], g.lon[None, None, :], g.depth[:, None, None], 2010)
    var = oc.var.grid(2010)
    run = {name: oc.fields(*pos, var={**var, **zero}) for name, zero in {
        "full": {}, "heave": {"aou": 0.0}, "aou": {"heave": 0.0}, "calm": {"aou": 0.0, "heave": 0.0},
        "none": {"aou": 0.0, "heave": 0.0, "trend": 0.0}}.items()}
    m = b.mask & (g.depth[:, None, None] >= 50) & (g.depth[:, None, None] <= 500)
    assert np.abs(run["heave"]["temperature"] - run["calm"]["temperature"])[m].max() > 0.05
    np.testing.assert_array_equal(run["aou"]["temperature"], run["calm"]["temperature"])
    np.testing.assert_array_equal(run["calm"]["temperature"], run["none"]["temperature"])
    total = (run["full"]["oxygen"] - run["calm"]["oxygen"])[m]
    heave = (run["heave"]["oxygen"] - run["calm"]["oxygen"])[m]
    assert 0.005 < np.var(heave) / np.var(total) < 0.5               # a part moves with T/S, most does not
    trend = (run["calm"]["oxygen"] - run["none"]["oxygen"])[m]
    assert 1.0 < np.std(trend) < 3.0 * cfg.variability.trend_std


def test_regional_trend_grows_with_the_post_warming_ramp():
    cfg, b, oc = _ocean()
    g = cfg.grid
    pos = (g.lat[None, :, None], g.lon[None, None, :], g.depth[:, None, None])
    part = {}
    for y in (1995, 2015):
        var = oc.var.grid(y)
        calm = oc.fields(*pos, y, var={**var, "aou": 0.0, "heave": 0.0})["oxygen"]
        flat = oc.fields(*pos, y, var={**var, "aou": 0.0, "heave": 0.0, "trend": 0.0})["oxygen"]
        part[y] = (calm - flat)[b.mask & (g.depth[:, None, None] >= 50)]
    ramp = (2015 - cfg.physics.warming_start) / (1995 - cfg.physics.warming_start)
    assert np.corrcoef(part[1995], part[2015])[0, 1] > 0.95          # one static pattern ...
    assert abs(np.std(part[2015]) / np.std(part[1995]) / ramp - 1) < 0.15   # ... scaled by the ramp


def test_within_cast_noise_is_correlated_down_a_cast():
    cfg = load(TINY, SynthConfig)
    b = bathymetry.build(cfg.grid)
    quiet = dataclasses.replace(cfg.variability, cast_noise_std=0.0, cast_noise_floor=0.0)
    runs = []
    for v in (cfg.variability, quiet):
        oc = Ocean(cfg.grid, cfg.physics, cfg.seed, v)
        yc = Sampler(cfg, b, oc).sample(2012, np.random.default_rng([cfg.seed, 3, 2012]))
        runs.append((yc, oc))
    (yc, oc), (yq, _) = runs
    assert np.array_equal(yc.level["depth"], yq.level["depth"])      # the same casts: noise has its own stream
    d = yc.level["oxygen"] - yq.level["oxygen"]
    z, ci = yc.level["depth"], yc.level["cast"]
    e = d / oc.cast_noise_std(z)
    ok = (yc.level["oxygen"] > 1.0) & (yq.level["oxygen"] > 1.0)
    assert 0.8 < np.std(e[ok]) < 1.2
    same = (ci[1:] == ci[:-1]) & ok[1:] & ok[:-1]
    r = np.exp(-np.abs(np.diff(z)) / cfg.variability.cast_noise_depth_m)[same]
    got = np.corrcoef(e[1:][same], e[:-1][same])[0, 1]
    assert abs(got - r.mean()) < 0.12, (got, r.mean())
    dp = (yc.level["phosphate"] - yq.level["phosphate"])[ok]
    assert np.corrcoef(dp, d[ok])[0, 1] < -0.9                        # nutrients move with it (Redfield)
