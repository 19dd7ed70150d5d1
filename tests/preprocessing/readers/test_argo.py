"""Argo GDAC profile reader on the real files (counts computed independently with netCDF4) and on small
hand-written files."""
import netCDF4
import numpy as np
import pytest

from preprocessing.readers import argo
from preprocessing.readers.base import ReaderError, ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "argo"
FLOAT = sorted((REAL / "6903247").glob("*.nc"))
FILES = FLOAT + [REAL / "SD5904989_012.nc"]
ARGO_VARS = {"oxygen": "DOXY", "temperature": "TEMP", "salinity": "PSAL", "nitrate": "NITRATE"}


def _chars(a):
    return np.char.strip(np.char.decode(np.asarray(a), "ascii").astype(str))


def _station(ds):
    sp = netCDF4.chartostring(np.asarray(ds["STATION_PARAMETERS"][:]))
    return [{str(x).strip() for x in row} for row in np.atleast_2d(sp)]


def expected_good(path, param, good=("1", "2")):
    """DOXY_ADJUSTED finite with QC in good, falling back to DOXY by its QC where a profile's adjusted values are
    all fill; profiles with bad JULD/POSITION QC give nothing."""
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_mask(False)
        if param not in ds.variables:
            return 0
        bad = (np.isin(_chars(ds["JULD_QC"][:]), ["3", "4", "9"])
               | np.isin(_chars(ds["POSITION_QC"][:]), ["3", "4", "9"]))
        raw, rq = ds[param][:], _chars(ds[param + "_QC"][:])
        adj, aq = ds[param + "_ADJUSTED"][:], _chars(ds[param + "_ADJUSTED_QC"][:])
        n = 0
        for i in range(raw.shape[0]):
            if bad[i]:
                continue
            if (adj[i] != 99999).any():
                n += int(((adj[i] != 99999) & np.isin(aq[i], good)).sum())
            else:
                n += int(((raw[i] != 99999) & np.isin(rq[i], good)).sum())
        return n


def entries(path, param):
    """Level entries of ``param``: levels with a pressure in the profiles that list the parameter."""
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_mask(False)
        if param not in ds.variables:
            return 0
        pres = ds["PRES"][:]
        return int(sum((pres[i] != 99999).sum() for i, s in enumerate(_station(ds)) if param in s))


@pytest.fixture(scope="module")
def results():
    return {p.name: argo.read(str(p), ReaderOptions()) for p in FILES}


def test_all_real_files_are_routed():
    assert len(FLOAT) == 14       # the float's cycles 1-12 and cycle 1's B and core files: tests/data/real/SOURCES.md
    assert all(argo.can_read(str(p)) for p in FILES)
    assert not argo.can_read(str(REAL / "erddap_labrador_sea_surface.nc"))
    assert not argo.can_read(str(REAL.parent / "wod" / "ocldb1570984477.6279_OSD.nc"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_good_oxygen_count_and_accounting_match_independent_counts(path, results):
    rows = results[path.name].rows
    assert int((rows["oxygen_reason"] == "").sum()) == expected_good(path, "DOXY")
    for var, param in ARGO_VARS.items():
        r = rows[var + "_reason"]
        assert int((r == "").sum() + ((r != "") & (r != "absent")).sum()) == entries(path, param), var
        assert rows.loc[r == "", var].notna().all()


def test_delayed_mode_profile_values(results):
    rows = results["SD5904989_012.nc"].rows
    good = rows.loc[rows["oxygen_reason"] == "", "oxygen"]
    assert len(good) == 101
    assert good.between(255, 283.5).all()
    assert set(rows["cast_id"]) == {"argo:5904989:12:A"}
    assert rows["time"].iloc[0].strftime("%Y-%m-%d") == "2014-08-04"
    assert (rows["depth"] > 0).all() and (rows["depth"] < rows["pressure"] * 1.0).all()


def test_core_b_and_synthetic_files_share_cast_id_and_split_variables(results):
    r, b, s = (results[f"{k}6903247_001.nc"].rows for k in ("R", "BR", "SR"))
    assert set(r["cast_id"]) == set(b["cast_id"]) == set(s["cast_id"]) == {"argo:6903247:1:A"}
    assert (r["oxygen_reason"] == "absent").all()
    assert (b["temperature_reason"] == "absent").all() and (b["salinity_reason"] == "absent").all()
    assert (b["oxygen_reason"] == "").sum() == 232
    assert (r["temperature_reason"] == "").sum() > 200
    # B-file oxygen is µmol/kg as stored: same good values as the synthetic file at the same pressures
    bo = b[b["oxygen_reason"] == ""].set_index("pressure")["oxygen"]
    so = s[s["oxygen_reason"] == ""].set_index("pressure")["oxygen"]
    common = bo.index.intersection(so.index)
    assert len(common) > 50
    np.testing.assert_allclose(bo.loc[common].groupby(level=0).first(), so.loc[common].groupby(level=0).first())


def test_good_qc_is_configurable():
    path = str(FLOAT[2])    # SR6903247_001.nc: DOXY_ADJUSTED QC 1 (231) and 8 (1)
    strict = argo.read(path, ReaderOptions(argo_good_qc=(1,))).rows
    loose = argo.read(path, ReaderOptions(argo_good_qc=(1, 2, 8))).rows
    assert (loose["oxygen_reason"] == "").sum() == (strict["oxygen_reason"] == "").sum() + 1


def _write(path, n_prof=2, n_lev=4, posqc=(b"1", b"4"), adj_fill_profile=0, units="micromole/kg"):
    with netCDF4.Dataset(path, "w") as ds:
        for d, n in (("N_PROF", n_prof), ("N_LEVELS", n_lev), ("STRING8", 8), ("N_PARAM", 3), ("STRING16", 16)):
            ds.createDimension(d, n)

        def var(name, dt, dims, data, **attrs):
            v = ds.createVariable(name, dt, dims, fill_value=attrs.pop("fill", None))
            for k, a in attrs.items():
                setattr(v, k, a)
            v[:] = data

        var("PLATFORM_NUMBER", "S1", ("N_PROF", "STRING8"), netCDF4.stringtochar(np.array(["1234567 "] * n_prof, "S8")))
        var("STATION_PARAMETERS", "S1", ("N_PROF", "N_PARAM", "STRING16"),
            netCDF4.stringtochar(np.array([["PRES", "TEMP", "DOXY"]] * n_prof, "S16")))
        var("CYCLE_NUMBER", "i4", ("N_PROF",), np.arange(1, n_prof + 1), fill=99999)
        var("DIRECTION", "S1", ("N_PROF",), np.array([b"A"] * n_prof))
        var("JULD", "f8", ("N_PROF",), 25000.5 + np.arange(n_prof), units="days since 1950-01-01 00:00:00 UTC",
            fill=999999.0)
        var("JULD_QC", "S1", ("N_PROF",), np.array([b"1"] * n_prof))
        var("LATITUDE", "f8", ("N_PROF",), np.full(n_prof, 45.0), fill=99999.0)
        var("LONGITUDE", "f8", ("N_PROF",), np.full(n_prof, 190.0), fill=99999.0)
        var("POSITION_QC", "S1", ("N_PROF",), np.array(posqc[:n_prof]))
        pres = np.tile(np.array([5.0, 100.0, 500.0, 99999.0]), (n_prof, 1))
        var("PRES", "f4", ("N_PROF", "N_LEVELS"), pres, fill=99999.0, units="decibar")
        var("PRES_QC", "S1", ("N_PROF", "N_LEVELS"), np.full((n_prof, n_lev), b"1"))
        var("TEMP", "f4", ("N_PROF", "N_LEVELS"), np.where(pres < 9e4, 10.0, 99999.0), fill=99999.0)
        var("TEMP_QC", "S1", ("N_PROF", "N_LEVELS"), np.full((n_prof, n_lev), b"1"))
        doxy = np.tile(np.array([250.0, 99999.0, 180.0, 99999.0]), (n_prof, 1))
        var("DOXY", "f4", ("N_PROF", "N_LEVELS"), doxy, fill=99999.0, units=units)
        var("DOXY_QC", "S1", ("N_PROF", "N_LEVELS"), np.tile(np.array([b"1", b" ", b"4", b" "]), (n_prof, 1)))
        adj = doxy + np.where(doxy < 9e4, 5.0, 0.0)
        adj[adj_fill_profile] = 99999.0
        aq = np.tile(np.array([b"1", b" ", b"2", b" "]), (n_prof, 1))
        aq[adj_fill_profile] = b" "
        var("DOXY_ADJUSTED", "f4", ("N_PROF", "N_LEVELS"), adj, fill=99999.0, units=units)
        var("DOXY_ADJUSTED_QC", "S1", ("N_PROF", "N_LEVELS"), aq)


def test_multi_profile_fallback_and_bad_position(tmp_path):
    path = tmp_path / "SR1234567_001.nc"
    _write(path, n_prof=3, posqc=(b"1", b"4", b"1"))
    rows = argo.read(str(path)).rows
    assert list(rows.groupby("cast_id").size()) == [3, 3, 3]      # fill level dropped, all profiles read
    p0, p1, p2 = (rows[rows["cast_id"] == f"argo:1234567:{c}:A"] for c in (1, 2, 3))
    # profile 1: no adjusted values -> raw DOXY by its QC (250 good, 180 flagged 4, one level missing)
    assert list(p0["oxygen_reason"]) == ["", "missing", "source_flag:4"]
    assert p0["oxygen"].iloc[0] == pytest.approx(250.0)
    # profile 2: bad position -> every value bad_position, missing stays missing
    assert list(p1["oxygen_reason"]) == ["bad_position", "missing", "bad_position"]
    assert (p1["temperature_reason"] == "bad_position").all()
    # profile 3: adjusted values with their own QC
    assert list(p2["oxygen_reason"]) == ["", "missing", ""]
    np.testing.assert_allclose(p2["oxygen"].iloc[[0, 2]], [255.0, 185.0])
    assert (rows["lon"] == -170.0).all() and (rows["salinity_reason"] == "absent").all()
    np.testing.assert_allclose(rows["depth"].iloc[1], 99.0, rtol=0.01)


def test_unknown_oxygen_units(tmp_path):
    path = tmp_path / "SR1234567_002.nc"
    _write(path, n_prof=1, posqc=(b"1",), units="furlongs")
    rows = argo.read(str(path)).rows
    assert list(rows["oxygen_reason"]) == ["unknown_units", "missing", "unknown_units"]


def test_truncated_file_raises_error_naming_it(tmp_path):
    data = (REAL / "SD5904989_012.nc").read_bytes()
    bad = tmp_path / "SD5904989_012.nc"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError) as e:
        argo.read(str(bad))
    assert str(bad) in str(e.value)
