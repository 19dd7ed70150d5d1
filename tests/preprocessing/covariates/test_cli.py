"""`oxygen-hpc covariates` end to end on the WOA- and EN4-layout files: the covariates.nc contract, hand-checked
values for a WOA year and an EN4 year, one ocean mask for every year, partition accepts the file; bad inputs exit
with one line naming the file."""
from __future__ import annotations

import json

import gsw
import netCDF4
import numpy as np
import pytest
import yaml

from preprocessing.covariates.cli import main
from preprocessing.partition.features import read_covariates

from .conftest import DATA, EN4, WOA_S, WOA_T, hand, raw

GRID = {"resolution_deg": 4.0, "depth_levels": [0.0, 110.0, 700.0, 3000.0], "year_start": 2009, "year_end": 2011,
        "zones_lon": 8, "zones_lat": 4}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("cov")
    cfg = d / "c.yaml"
    cfg.write_text(yaml.safe_dump({"grid": GRID, "woa": [str(DATA / "woa")], "en4": [str(DATA / "en4")]}))
    assert main(["--config", str(cfg), "--out", str(d / "covariates.nc")]) == 0
    return d / "covariates.nc"


def test_contract_and_provenance(built, capsys):
    with netCDF4.Dataset(built) as ds:
        assert ds.Conventions == "CF-1.8" and json.loads(ds.grid) == GRID and ds.resolution_deg == 4.0
        assert list(ds.depth_levels) == GRID["depth_levels"] and (ds.year_start, ds.year_end) == (2009, 2011)
        for v in ("temperature", "salinity"):
            assert ds[v].dimensions == ("time", "depth", "lat", "lon") and ds[v].dtype == np.float32
        assert ds["temperature"].units == "degree_C" and ds["depth"].positive == "down"
        dates = netCDF4.num2date(ds["time"][:], ds["time"].units, ds["time"].calendar)
        assert [(d.year, d.month, d.day) for d in dates] == [(y, 7, 2) for y in (2009, 2010, 2011)]
        prov = json.loads(ds.provenance)
        assert prov["years"] == {"2009": "WOA climatology", "2010": "EN4 (12 months)", "2011": "WOA climatology"}
        assert len(prov["en4_files"]) == 12 and prov["method"] == "linear" and "oxygen-hpc covariates" in ds.history
        T = np.ma.filled(ds["temperature"][:], np.nan)
        S = np.ma.filled(ds["salinity"][:], np.nan)
    ocean = np.isfinite(T[0])
    for n in range(3):                                       # one mask for every year, T and S alike
        assert (np.isfinite(T[n]) == ocean).all() and (np.isfinite(S[n]) == ocean).all()
    np.testing.assert_array_equal(T[0], T[2])                # climatology years are identical
    cov = read_covariates(str(built), 8, 4)
    assert cov.ocean.sum() == ocean.sum() and list(cov.years) == [2009, 2010, 2011]


def test_values_equal_hand_interpolation_for_a_woa_and_an_en4_year(built):
    with netCDF4.Dataset(built) as ds:
        T = np.ma.filled(ds["temperature"][:], np.nan)
        S = np.ma.filled(ds["salinity"][:], np.nan)
        lat, lon, depth = ds["lat"][:], ds["lon"][:], ds["depth"][:]
    wt, wd, wy, wx = raw(WOA_T, "t_an")
    ws = raw(WOA_S, "s_an")[0]
    et = np.mean([raw(p, "temperature")[0] for p in EN4], axis=0) - 273.15
    es = np.mean([raw(p, "salinity")[0] for p in EN4], axis=0)
    _, ed, ey, ex = raw(EN4[0], "temperature")
    checked = {"woa": 0, "en4": 0}
    for k, j, i in np.argwhere(np.isfinite(T[1]))[::97]:
        z, y, x = depth[k], lat[j], lon[i]
        want_t, w = hand(wt, wd, wy, wx, z, y, x)
        if w > 0.99:                                         # not a coastal cell filled from its neighbours
            assert T[0, k, j, i] == pytest.approx(want_t, rel=1e-5)
            assert S[0, k, j, i] == pytest.approx(hand(ws, wd, wy, wx, z, y, x)[0], rel=1e-6)
            checked["woa"] += 1
        theta, w4 = hand(et, ed, ey, ex, z, y, x)
        if w4 > 0.99:
            sp = hand(es, ed, ey, ex, z, y, x)[0]
            p = gsw.p_from_z(-z, y)
            sa = gsw.SA_from_SP(sp, p, x, y)
            want = gsw.t_from_CT(sa, gsw.CT_from_pt(sa, theta), p)        # EN4 potential → in-situ temperature
            assert T[1, k, j, i] == pytest.approx(float(want), abs=2e-5)
            assert S[1, k, j, i] == pytest.approx(sp, rel=1e-6)
            checked["en4"] += 1
    assert checked["woa"] >= 5 and checked["en4"] >= 5, checked


def test_cli_errors_are_one_line_naming_the_file(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"grid": GRID, "woa": [str(WOA_T)], "en4": []}))     # no salinity file
    assert main(["--config", str(cfg), "--out", str(tmp_path / "c.nc")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no WOA salinity file (s_an)" in err and str(WOA_T) in err
    cfg.write_text(yaml.safe_dump({"grid": {**GRID, "depth_levels": [0.0, 6000.0]}, "woa": [str(DATA / "woa")]}))
    assert main(["--config", str(cfg), "--out", str(tmp_path / "c.nc")]) == 1
    err = capsys.readouterr().err.strip()
    assert "woa18_decav_t00_5d.nc: does not cover the grid: levels 0…6000 m, the file spans 0…5500 m" in err
    assert not (tmp_path / "c.nc").exists() and not list(tmp_path.glob(".c.nc.*"))
    cfg.write_text(yaml.safe_dump({"grid": GRID, "woa": [str(DATA / "woa")], "regrid": "bilinear"}))
    assert main(["--config", str(cfg), "--out", str(tmp_path / "c.nc")]) == 2
    assert "'regrid': unknown key" in capsys.readouterr().err
