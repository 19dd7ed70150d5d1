"""covariates.nc is an analysis of T/S: the truth smoothed plus a persistent error of the configured size, which
grows back in time; ``covariates.perfect`` keeps the truth."""
import json

import netCDF4
import numpy as np

from oxygen_contracts.config import load
from oxygen_contracts.grid import GridSpec
from preprocessing.synthetic import bathymetry
from preprocessing.synthetic.analysis import Analysis, expected_rms
from preprocessing.synthetic.config import CovariatesConfig, SynthConfig
from preprocessing.synthetic.ocean import Ocean

from .conftest import TINY


def _read(path, name):
    with netCDF4.Dataset(path) as ds:
        return np.asarray(ds[name][:], np.float64), GridSpec.from_dict(json.loads(ds.getncattr("grid")))


def test_covariates_differ_from_truth_by_the_configured_error(tiny):
    root, summary = tiny
    cfg = load(TINY, SynthConfig).covariates
    cov_t, grid = _read(root / "covariates.nc", "temperature")
    tru_t, _ = _read(root / "truth.nc", "temperature")
    cov_s, _ = _read(root / "covariates.nc", "salinity")
    tru_s, _ = _read(root / "truth.nc", "salinity")
    assert np.array_equal(np.isfinite(cov_t), np.isfinite(tru_t))   # the ocean mask partition reads is the truth's
    assert np.array_equal(np.isfinite(cov_s), np.isfinite(tru_s))
    shallow = grid.depth <= 1000
    ocean = np.isfinite(tru_t[0])
    depths = np.broadcast_to(grid.depth[:, None, None], ocean.shape)[ocean & shallow[:, None, None]]
    for n, year in enumerate(grid.years):
        for name, cov, tru in (("temperature", cov_t, tru_t), ("salinity", cov_s, tru_s)):
            e = (cov[n] - tru[n])[shallow]
            rms = np.sqrt(np.nanmean(e ** 2))
            want = expected_rms(cfg, depths, int(year), name)
            assert abs(rms / want - 1) < 0.3, (name, year, rms, want)
    err = cov_t - tru_t
    first, last = np.sqrt(np.nanmean(err[:3] ** 2)), np.sqrt(np.nanmean(err[-3:] ** 2))
    assert first > 1.5 * last                                          # larger back in time
    a, b = err[1:][np.isfinite(err[1:])], err[:-1][np.isfinite(err[:-1])]
    lag1 = np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b))
    assert abs(lag1 - np.exp(-1.0 / cfg.error_time_scale_yr)) < 0.2     # persistent, as configured
    rep = summary["realism"]["covariates"]
    assert set(rep) == {"1990s", "2000s", "2010s"}
    assert all(abs(d["temperature_rms"] / d["temperature_configured"] - 1) < 0.3 for d in rep.values())


def test_perfect_covariates_are_the_truth_and_smoothing_keeps_the_mask():
    cfg = load(TINY, SynthConfig)
    b = bathymetry.build(cfg.grid)
    fields = Ocean(cfg.grid, cfg.physics, cfg.seed, cfg.variability).grid_fields(2000, b.mask)
    perfect = Analysis(cfg.grid, CovariatesConfig(perfect=True), cfg.seed, b.column).covariates(fields, 2000)
    assert perfect["temperature"] is fields["temperature"] and perfect["salinity"] is fields["salinity"]
    an = Analysis(cfg.grid, CovariatesConfig(smoothing_km=2000.0), cfg.seed, b.column)
    const = np.where(b.mask, 7.0, np.nan)
    sm = an.smooth(const)
    assert np.array_equal(np.isfinite(sm), b.mask) and np.allclose(sm[b.mask], 7.0)
    got = an.covariates(fields, 2000)
    assert np.array_equal(np.isfinite(got["temperature"]), np.isfinite(fields["temperature"]))
    assert got["temperature"].dtype == np.float32
