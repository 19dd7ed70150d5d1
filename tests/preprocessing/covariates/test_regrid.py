"""Regridding: values on the model grid equal hand-computed (NaN-aware trilinear) interpolation at chosen points —
open ocean, a coast, the dateline, between source levels — and the coverage check and gap filling behave."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oxygen_contracts.grid import GridSpec
from preprocessing.covariates.regrid import CoverageError, check_coverage, fill_within, interpolate, ocean_mask
from preprocessing.covariates.sources import read_woa

from .conftest import WOA_S, WOA_T, hand, raw

GRID = GridSpec(resolution_deg=4.0, depth_levels=(0.0, 110.0, 700.0, 5500.0), year_start=2010, year_end=2010)


def _points(o: np.ndarray) -> dict[str, tuple[int, int, int]]:
    """(k, j, i) of chosen kinds of cell: every corner ocean, some corners ocean, next to the dateline."""
    g = GRID
    full = np.argwhere(o[1] > 1 - 1e-9)
    coast = np.argwhere((o[1] > 0.3) & (o[1] < 0.9))
    dateline = [p for p in full if g.lon[p[1]] < -176]
    return {"open ocean": (1, *full[len(full) // 2]), "coast": (1, *coast[0]), "dateline": (1, *dateline[0]),
            "deep": (2, *full[len(full) // 3])}


def test_woa_values_on_the_grid_equal_hand_interpolation():
    t, s = read_woa([str(WOA_T), str(WOA_S)])
    tv, ot = interpolate(t, GRID)
    sv, _ = interpolate(s, GRID)
    for what, path, name, got in (("t", WOA_T, "t_an", tv), ("s", WOA_S, "s_an", sv)):
        values, depth, lat, lon = raw(path, name)
        for kind, (k, j, i) in _points(ot).items():
            want, w = hand(values, depth, lat, lon, GRID.depth[k], GRID.lat[j], GRID.lon[i])
            assert got[k, j, i] == pytest.approx(want, rel=1e-6, abs=1e-9), (what, kind, k, j, i)
            assert ot[k, j, i] == pytest.approx(w, abs=1e-9), (kind, k, j, i)
    # 110 m lies between the 100 m and 125 m levels: weights 0.6 / 0.4 (by hand, not through the helper)
    values, depth, lat, lon = raw(WOA_T, "t_an")
    jj, ii = int(np.argmin(np.abs(lat - 2.5))), int(np.argmin(np.abs(lon - (-142.5))))   # a source centre
    g = dataclasses.replace(GRID, resolution_deg=5.0, depth_levels=(0.0, 110.0))
    one = interpolate(t, g)[0]
    j5, i5 = int(np.argmin(np.abs(g.lat - 2.5))), int(np.argmin(np.abs(g.lon - (-142.5))))
    k100, k125 = int(np.flatnonzero(depth == 100)[0]), int(np.flatnonzero(depth == 125)[0])
    assert np.isfinite(values[k100, jj, ii]) and np.isfinite(values[k125, jj, ii])
    assert one[1, j5, i5] == pytest.approx(0.6 * values[k100, jj, ii] + 0.4 * values[k125, jj, ii], rel=1e-6)


def test_coverage_errors_name_the_file():
    t, _ = read_woa([str(WOA_T), str(WOA_S)])
    columns = np.ones((GRID.nlat, GRID.nlon), bool)
    check_coverage(t, GRID, columns)
    shallow = dataclasses.replace(t, depth_extent=(0.0, 1500.0))           # a monthly WOA file: 0-1500 m
    with pytest.raises(CoverageError, match=r"woa18_decav_t00_5d\.nc.*levels 0…5500 m.*0…1500 m"):
        check_coverage(shallow, GRID, columns)
    regional = dataclasses.replace(t, lat_extent=(-60.0, 60.0))
    with pytest.raises(CoverageError, match=r"woa18_decav_t00_5d\.nc: does not cover the grid: ocean cells at -88"):
        check_coverage(regional, GRID, columns)
    boxed = dataclasses.replace(t, periodic=False, lon_extent=(-100.0, 0.0))
    with pytest.raises(CoverageError, match="not global"):
        check_coverage(boxed, GRID, columns)
    check_coverage(regional, GRID, (np.abs(GRID.lat)[:, None] < 60) & columns)   # ocean only where it covers


def test_ocean_mask_fills_coastal_gaps_level_by_level_and_no_deeper_than_neighbours():
    nlev, nlat, nlon = 3, 4, 8
    columns = np.ones((nlat, nlon), bool)                  # the land mask: ocean everywhere
    depth_levels = np.array([0, 2, 3, 0, 0, 0, 3, 1])       # source ocean levels per column (0 = source land)
    o = (np.arange(nlev)[:, None, None] < depth_levels[None, None, :]).astype(float) * np.ones((1, nlat, 1))
    t = np.where(o > 0, 10.0 + np.arange(nlon)[None, None, :], np.nan)
    s = np.where(o > 0, 35.0, np.nan)
    ocean, tf, sf, counts = ocean_mask(columns, t, s, o, o, fill_cells=1)
    assert ocean[:2, :, 0].all() and not ocean[2, :, 0].any()     # column 0: no deeper than its ocean neighbours
    np.testing.assert_allclose(tf[0, :, 0], (11.0 + 17.0) / 2)      # 4-neighbours: columns 1 and 7 (lon wraps)
    np.testing.assert_allclose(tf[1, :, 0], 11.0)                   # level 1: column 1 only
    assert ocean[:, :, 3].all() and ocean[:, :, 5].all()           # next to 3-level columns 2 and 6
    assert not ocean[:, :, 4].any()                                 # two cells from source ocean: left land
    assert counts["columns_left_land"] == nlat and counts["coastal_cells_filled"] == nlat * (2 + 3 + 3)
    assert np.isfinite(tf[ocean]).all() and np.isnan(tf[~ocean]).all() and np.isfinite(sf[ocean]).all()
    ocean2, *_ = ocean_mask(columns, t, s, o, o, fill_cells=2)
    assert ocean2[:, :, 4].all()


def test_fill_within_uses_neighbours_then_stops():
    v = np.full((1, 3, 5), np.nan)
    v[0, 1, 1] = 4.0
    ocean = np.ones_like(v, bool)
    out, n = fill_within(v, ocean, passes=1)
    assert n == 4 and out[0, 1, 2] == 4.0 and np.isnan(out[0, 1, 3])
    out, n = fill_within(v, ocean, passes=9)
    assert np.isfinite(out).all()
