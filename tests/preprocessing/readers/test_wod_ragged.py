"""WOD ragged-array netCDF reader: the real OSD file and a small hand-written file with every flag kind."""
import gsw
import netCDF4
import numpy as np
import pytest

from preprocessing.readers import wod_ragged
from preprocessing.readers.base import ReaderError, ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "wod"
FILE = REAL / "ocldb1570984477.6279_OSD.nc"
WOD_VARS = {"Temperature": "temperature", "Salinity": "salinity", "Oxygen": "oxygen", "Phosphate": "phosphate",
            "Silicate": "silicate"}


@pytest.fixture(scope="module")
def result():
    return wod_ragged.read(str(FILE), ReaderOptions())


def test_can_read():
    assert wod_ragged.can_read(str(FILE))
    assert not wod_ragged.can_read(str(REAL / "classic.dat"))
    assert not wod_ragged.can_read(str(REAL.parent / "argo" / "SD5904989_012.nc"))


def test_real_oxygen_count(result):
    rows = result.rows
    with netCDF4.Dataset(FILE) as ds:
        ox = np.ma.filled(ds["Oxygen"][:].astype(float), np.nan)
        flag = np.ma.filled(ds["Oxygen_IQUODflag"][:], 0)
        size = np.ma.filled(ds["Oxygen_row_size"][:], 0)
        prof = np.repeat(np.ma.filled(ds["Oxygen_WODprofileflag"][:], 0), size)
    expected = int((np.isfinite(ox) & (flag == 0) & (prof == 0)).sum())
    good = rows[rows["oxygen_reason"] == ""]
    assert len(good) == expected == 84
    assert good["cast_id"].nunique() == 20
    assert good["oxygen"].between(40, 450).all()
    assert result.problems == [] and result.lost_values == {}
    assert rows["time"].dt.year.eq(1934).all() and rows["cast_id"].str.startswith("wod:").all()


def test_real_accounting_per_variable(result):
    rows = result.rows
    with netCDF4.Dataset(FILE) as ds:
        zn = np.ma.filled(ds["z_row_size"][:], 0)
        assert len(rows) == int(zn.sum())
        for wname, var in WOD_VARS.items():
            vn = np.ma.filled(ds[wname + "_row_size"][:], 0)
            r = rows[var + "_reason"]
            assert int((r == "").sum() + ((r != "") & (r != "absent")).sum()) == int(vn[vn == zn].sum()), var
    assert (rows["nitrate_reason"] == "absent").all()
    t = rows["temperature_reason"]
    assert t.str.startswith("source_flag:profile").sum() > 0 and (t == "source_flag:iquod3").sum() == 8


def _write(path, ox_units="ml/l", drop=()):
    """4 casts: 0 = 3 levels all variables; 1 = 2 levels without oxygen; 2 = oxygen profile-flagged;
    3 = oxygen row size that does not match z (a located problem). ``drop``: variables not written."""
    zn = [3, 2, 2, 2]
    on = [3, 0, 2, 1]
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("casts", 4)
        for d, n in (("z_obs", 9), ("Oxygen_obs", 6), ("Temperature_obs", 9), ("Nitrate_obs", 3)):
            ds.createDimension(d, n)

        def var(name, dt, dim, data, **attrs):
            if name in drop:
                return
            v = ds.createVariable(name, dt, (dim,), fill_value=attrs.pop("fill", None))
            for k, a in attrs.items():
                setattr(v, k, a)
            v[:] = data

        var("wod_unique_cast", "i4", "casts", [11, 12, 13, 14])
        var("lat", "f4", "casts", [10.0, 20.0, np.nan, 40.0], fill=np.float32(-1e10))
        var("lon", "f4", "casts", [200.0, -30.0, 0.0, 0.0])
        var("time", "f8", "casts", [80000.0, 80001.0, 80002.5, 80003.0], units="days since 1770-01-01 00:00:00")
        var("z", "f4", "z_obs", [0, 100, 1000, 0, 50, 0, 10, 0, 20], units="m")
        var("z_row_size", "i4", "casts", zn)
        var("Temperature", "f4", "Temperature_obs", [20, 10, 4, 15, 14, 25, 24, 5, 5], units="degree_C")
        var("Temperature_row_size", "i4", "casts", zn)
        var("Temperature_WODflag", "i1", "Temperature_obs", [0, 0, 3, 0, 0, 0, 0, 0, 0])
        var("Oxygen", "f4", "Oxygen_obs", [5.0, 4.0, np.nan, 6.0, 6.1, 7.0], units=ox_units, fill=np.float32(-1e10))
        var("Oxygen_row_size", "i4", "casts", on)
        var("Oxygen_WODflag", "i1", "Oxygen_obs", [0, 2, 0, 0, 0, 0])
        var("Oxygen_WODprofileflag", "i1", "casts", [0, 0, 5, 0])
        var("Nitrate", "f4", "Nitrate_obs", [1.0, 2.0, 3.0], units="mg/l")
        var("Nitrate_row_size", "i4", "casts", [3, 0, 0, 0])


def test_flags_units_and_problems(tmp_path):
    path = tmp_path / "wod_osd_small.nc"
    _write(path)
    res = wod_ragged.read(str(path))
    rows = res.rows
    assert len(rows) == 9
    c0, c1, c2 = (rows[rows["cast_id"] == f"wod:{u}"] for u in (11, 12, 13))
    assert list(c0["oxygen_reason"]) == ["", "source_flag:2", "missing"]
    assert list(c0["temperature_reason"]) == ["", "", "source_flag:3"]
    assert (c1["oxygen_reason"] == "absent").all()
    assert (c2["oxygen_reason"] == "source_flag:profile5").all()
    assert (c2["temperature_reason"] == "bad_position").all()        # no latitude
    assert list(c0["nitrate_reason"]) == ["unknown_units"] * 3
    # ml/l -> µmol/kg with the level's T/S (S missing -> 35) and pressure
    p = gsw.p_from_z(-0.0, 10.0)
    sa = gsw.SA_from_SP(35.0, p, 200.0, 10.0)
    rho = gsw.rho(sa, gsw.CT_from_t(sa, 20.0, p), p)
    assert c0["oxygen"].iloc[0] == pytest.approx(5.0 * 44.6596 / (rho / 1000.0), rel=1e-3)
    assert c0["lon"].iloc[0] == pytest.approx(-160.0)
    assert len(res.problems) == 1 and "cast 3" in res.problems[0].where and res.problems[0].file == path.name
    assert res.lost_values == {"oxygen": 1}
    assert rows["time"].iloc[0].year == 1989


def test_umol_per_kg_kept_as_is(tmp_path):
    path = tmp_path / "wod_umolkg.nc"
    _write(path, ox_units="umol/kg")
    rows = wod_ragged.read(str(path)).rows
    assert rows["oxygen"].iloc[0] == pytest.approx(5.0)


def test_truncated_copy_raises_error_naming_it(tmp_path):
    data = FILE.read_bytes()
    bad = tmp_path / FILE.name
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError) as e:
        wod_ragged.read(str(bad))
    assert str(bad) in str(e.value)


def test_variable_without_its_row_size_is_counted_as_lost(tmp_path):
    """Without ``Oxygen_row_size`` the oxygen values cannot be given to casts: each is counted (lost), with a
    Problem naming the variable; the other variables are read as before."""
    path = tmp_path / "wod_no_rowsize.nc"
    _write(path, drop=("Oxygen_row_size",))
    res = wod_ragged.read(str(path))
    _write(tmp_path / "ref.nc")
    full = wod_ragged.read(str(tmp_path / "ref.nc"))
    assert res.lost_values == {"oxygen": 6}
    assert [p.where for p in res.problems] == ["Oxygen"] and "Oxygen_row_size" in res.problems[0].message
    assert res.problems[0].file == path.name
    assert (res.rows.oxygen_reason == "absent").all()
    for var in ("temperature", "nitrate"):
        assert list(res.rows[var + "_reason"]) == list(full.rows[var + "_reason"])


def test_row_size_without_its_variable_is_counted_as_lost(tmp_path):
    path = tmp_path / "wod_no_values.nc"
    _write(path, drop=("Oxygen", "Oxygen_WODflag"))
    res = wod_ragged.read(str(path))
    assert res.lost_values == {"oxygen": 6}                # the row sizes say 3 + 0 + 2 + 1 values
    assert [p.where for p in res.problems] == ["Oxygen"] and "no Oxygen variable" in res.problems[0].message
