"""Observations lie where the truth is defined: no NaN oxygen the summary does not count as a fault.

Regression: gsw (TEOS-10) gives NaN absolute salinity south of 86°S, so a WOD cast drawn at 87.5°S in the
tiny grid's southern row (90–80°S) got NaN oxygen; the writer wrote the fill value, ingest counted it as
``missing`` while summary.json did not (seed 3: 194 vs 193).
"""
import numpy as np

from preprocessing import units
from oxygen_contracts.config import load
from preprocessing.synthetic import bathymetry
from preprocessing.synthetic.ocean import Ocean
from preprocessing.synthetic.sampling import MIN_OBS_LAT, Sampler
from preprocessing.synthetic.config import SynthConfig

from .conftest import TINY


def _sampler(seed):
    cfg = load(TINY, SynthConfig, {"seed": seed})
    bathy = bathymetry.build(cfg.grid)
    ocean = Ocean(cfg.grid, cfg.physics, cfg.seed)
    return cfg, bathy, ocean, Sampler(cfg, bathy, ocean)


def test_gsw_is_undefined_south_of_86s():
    """The premise of MIN_OBS_LAT (if gsw ever covers the pole, the restriction can go)."""
    assert np.isnan(units.oxygen_solubility(34.5, -0.9, 1.5, -87.5, -179.0))
    assert np.isfinite(units.oxygen_solubility(34.5, -0.9, 1.5, MIN_OBS_LAT - 0.01, -179.0))


def test_truth_is_finite_at_any_latitude():
    cfg, _, ocean, _ = _sampler(0)
    lat = np.array([-89.9, -87.5, -86.0, -60.0, 89.9])
    f = ocean.fields(lat, np.full(5, -179.0), np.full(5, 10.0), 2010)
    for k in ("oxygen", "solubility", "phosphate", "nitrate"):
        assert np.all(np.isfinite(f[k])), k


def test_wod_positions_stay_north_of_gsw_limit_in_their_column():
    cfg, bathy, _, s = _sampler(3)
    g = cfg.grid
    la, lo = s._wod_positions(np.random.default_rng(0), 20000, 2010)
    assert la.min() >= MIN_OBS_LAT
    assert (la < -80).any()                        # the tiny grid's southern row (90–80°S) is still sampled
    k, j, i = g.locate(la, lo, np.zeros_like(la))
    assert np.all(j >= 0) and bathy.column[j, i].all()


def test_seed3_casts_have_finite_oxygen_before_faults():
    cfg, _, _, s = _sampler(3)
    south = 0
    for year in cfg.grid.years.tolist():
        yc = s.sample(year, np.random.default_rng([cfg.seed, 3, year]))
        c, lv = yc.cast, yc.level
        assert c["lat"].min() >= MIN_OBS_LAT, year
        o2 = c["has_o2"][lv["cast"]]
        for k in ("oxygen", "solubility", "temperature", "salinity"):
            assert np.all(np.isfinite(lv[k][o2])), (year, k)
        south += int((c["lat"] < -80).sum())
    assert south > 0                                # seed 3 has casts in the southern row (one was at 87.5°S)
