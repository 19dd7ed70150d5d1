"""Per-cell trend maps equal the OLS of oxygen_hpc.products.trends cell by cell; cells with too few years are NaN;
the map PNG is drawn."""
from __future__ import annotations

import numpy as np
import pytest

from oxygen_hpc.products.trend_maps import TrendMaps
from oxygen_hpc.products.trends import ols_trend


def test_streamed_trend_equals_ols_per_cell(tmp_path):
    rng = np.random.default_rng(0)
    depth, lat, lon = np.array([0.0, 100.0, 500.0]), np.array([-45.0, 0.0, 45.0]), np.array([-90.0, 0.0, 90.0, 180.0])
    years = np.arange(1950, 1972)
    ocean = np.ones((3, 3, 4), bool)
    ocean[:, 0, 0] = False                               # land
    fields = [200 - 0.3 * (y - 1950) * np.arange(1, 5)[None, None, :] + rng.normal(0, 2, (3, 3, 4)) for y in years]
    for f in fields[:20]:
        f[2, 1, 1] = np.nan                              # a cell with only 2 years of values
    tm = TrendMaps(depth, lat, lon, map_depths=[0, 520])
    assert tm.levels == [0, 2]
    for y, f in zip(years, fields):
        tm.add(int(y), np.where(ocean, f, np.nan), ocean)
    slope, se, half = tm.result()
    for m, k in enumerate(tm.levels):
        for j in range(3):
            for i in range(4):
                series = np.array([f[k, j, i] if ocean[k, j, i] else np.nan for f in fields])
                want = ols_trend(years, series)
                if not ocean[k, j, i] or (k, j, i) == (2, 1, 1):
                    assert np.isnan(slope[m, j, i])
                    continue
                assert slope[m, j, i] == pytest.approx(want.slope_per_decade, rel=1e-9, abs=1e-9)
                assert se[m, j, i] == pytest.approx(want.se_per_decade, rel=1e-7)
                assert half[m, j, i] == pytest.approx(want.ci95_high - want.slope_per_decade, rel=1e-7)
    ds = tm.dataset()
    assert ds["o2_trend"].attrs["units"] == "umol kg-1 (10 year)-1" and list(ds["depth"].values) == [0.0, 500.0]
    paths = tm.plot(tmp_path)
    assert [p.name for p in paths] == ["o2_trend_0m.png", "o2_trend_500m.png"] and paths[0].stat().st_size > 5000
