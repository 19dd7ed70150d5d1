"""Basin masks and OLS trends."""
from __future__ import annotations

import numpy as np
from scipy import stats

from oxygen_hpc.products.basins import BASINS, basin_index, basin_masks
from oxygen_hpc.products.trends import ols_trend


def test_basin_masks_partition_the_globe():
    lat = -90 + (np.arange(180) + 0.5)
    lon = -180 + (np.arange(360) + 0.5)
    masks = basin_masks(lat, lon)
    assert list(masks) == list(BASINS)
    total = sum(m.astype(int) for m in masks.values())
    assert np.all(total == 1)
    for name in BASINS:
        assert masks[name].any()


def test_basin_of_known_places():
    places = {(0.5, -150.5): "pacific", (0.5, -30.5): "atlantic", (-10.5, 70.5): "indian",
              (-60.5, 0.5): "southern", (80.5, 100.5): "arctic", (25.5, -90.5): "atlantic",
              (35.5, 18.5): "atlantic", (15.5, 65.5): "indian", (15.5, 115.5): "pacific",
              (-40.5, 160.5): "pacific", (0.5, 329.5): "atlantic", (10.5, -100.5): "pacific",
              (20.5, 38.5): "indian", (-30.5, 100.5): "indian"}
    for (la, lo), want in places.items():
        got = BASINS[int(basin_index([la], [lo])[0, 0])]
        assert got == want, (la, lo, got, want)


def test_trend_matches_scipy_linregress():
    rng = np.random.default_rng(3)
    years = np.arange(1950, 2021)
    y = 5e16 - 2e13 * (years - 1950) + rng.normal(0, 3e13, years.size)
    ref = stats.linregress(years, y)
    tr = ols_trend(years, y)
    assert tr.n == years.size
    assert np.isclose(tr.slope_per_decade, 10 * ref.slope, rtol=1e-10)
    assert np.isclose(tr.se_per_decade, 10 * ref.stderr, rtol=1e-10)
    assert np.isclose(tr.p_value, ref.pvalue, rtol=1e-6)
    q = stats.t.ppf(0.975, years.size - 2)
    assert np.isclose(tr.ci95_low, 10 * (ref.slope - q * ref.stderr), rtol=1e-10)
    assert np.isclose(tr.ci95_high, 10 * (ref.slope + q * ref.stderr), rtol=1e-10)
    assert np.isclose(tr.pct_per_decade, 100 * 10 * ref.slope / y.mean(), rtol=1e-10)
    assert tr.pct_ci95_low < tr.pct_per_decade < tr.pct_ci95_high
    np.testing.assert_allclose(tr.line(years), ref.intercept + ref.slope * years, rtol=1e-9)


def test_trend_edge_cases():
    exact = ols_trend([2000, 2001, 2002, 2003], [1.0, 3.0, 5.0, 7.0])
    assert np.isclose(exact.slope_per_decade, 20.0) and exact.se_per_decade == 0.0
    with_nan = ols_trend([2000, 2001, 2002, 2003], [1.0, np.nan, 5.0, 7.0])
    assert with_nan.n == 3 and np.isclose(with_nan.slope_per_decade, 20.0)
    two = ols_trend([2000, 2010], [1.0, 2.0])
    assert np.isclose(two.slope_per_decade, 1.0) and np.isnan(two.se_per_decade)
    zero = ols_trend([2000, 2001, 2002], [0.0, 0.0, 0.0])
    assert zero.slope_per_decade == 0.0 and np.isnan(zero.pct_per_decade)
