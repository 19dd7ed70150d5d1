"""CCHDO WOCE/COARDS netCDF reader on the real p03a bottle file; expectations computed with netCDF4."""
from __future__ import annotations

import zipfile

import netCDF4
import numpy as np
import pandas as pd
import pytest

from preprocessing.readers import cchdo_netcdf as N
from preprocessing.readers.base import ReaderError, ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "cchdo"
FILE = REAL / "p03a_00199_00001_hy1.nc"
GOOD = list(ReaderOptions().woce_good_flags)


def _var(ds, name):
    return np.ma.filled(np.ma.asarray(ds[name][:], dtype=float), np.nan)


def test_real_bottle_netcdf_oxygen_rule_and_metadata():
    assert N.can_read(str(FILE))
    res = N.read(str(FILE))
    with netCDF4.Dataset(FILE) as ds:
        bo, bq = _var(ds, "bottle_oxygen"), _var(ds, "bottle_oxygen_QC")
        co, cq = _var(ds, "oxygen"), _var(ds, "oxygen_QC")
        p = _var(ds, "pressure")
        lat = float(ds["latitude"][0])
    has_b = (bo > -990) & (bq != 9)
    has_c = (co > -990) & (cq != 9)
    expected = (has_b & np.isin(bq, GOOD)).sum() + (~has_b & has_c & np.isin(cq, GOOD)).sum()
    rows = res.rows
    assert len(rows) == len(p) == 36
    assert (rows.oxygen_reason == "").sum() == expected == 36
    assert (rows.oxygen_reason != "missing").sum() == (has_b | has_c).sum()
    np.testing.assert_allclose(rows.oxygen[has_b], bo[has_b])
    np.testing.assert_allclose(rows.pressure, p)
    assert rows.cast_id.unique().tolist() == ["cchdo:31TTTPS24_2:199:1"]
    assert rows.time.iloc[0] == pd.Timestamp("1985-05-04 10:02", tz="UTC")
    assert rows.lat.iloc[0] == pytest.approx(lat)
    assert (rows.depth.iloc[1:] < rows.pressure.iloc[1:]).all()
    assert set(rows.nitrate_reason) <= {"", "missing"} and (rows.nitrate_reason == "").any()


def test_netcdf_without_pressure_is_a_reader_error(tmp_path):
    path = tmp_path / "broken_hy1.nc"
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("pressure", 3)
        v = ds.createVariable("bottle_oxygen", "f8", ("pressure",))
        v.WHPO_Variable_Name = "OXYGEN"
        v.units = "umol/kg"
        v[:] = [200.0, 210.0, 220.0]
    assert N.can_read(str(path))
    with pytest.raises(ReaderError) as e:
        N.read(str(path))
    assert str(path) in str(e.value) and "CTDPRS" in str(e.value)


def test_can_read_is_false_for_other_netcdf():
    argo = REAL.parent / "argo" / "SD5904989_012.nc"
    assert not N.can_read(str(argo))
    assert not N.can_read(str(REAL / "p02.csv"))


def _station_copy(path, station: str):
    """A copy of the real bottle file as another station (same bytes but the station number)."""
    path.write_bytes(FILE.read_bytes())
    with netCDF4.Dataset(path, "r+") as ds:
        ds["station"][:6] = np.array([bytes([c]) for c in station.rjust(6).encode()], dtype="S1")
    return path


def test_zip_of_hy1_netcdf_members_reads_every_member(tmp_path):
    """CCHDO publishes a cruise's bottle netCDF as one zip of per-station ``*_hy1.nc`` files."""
    other = _station_copy(tmp_path / "p03a_00200_00001_hy1.nc", "200")
    zpath = tmp_path / "31TTTPS24_2_nc_hyd.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(FILE, arcname="31TTTPS24_2_nc_hyd/" + FILE.name)
        zf.write(other, arcname="31TTTPS24_2_nc_hyd/" + other.name)
    assert N.can_read(str(zpath))
    from preprocessing.readers import registry
    assert registry.route("cchdo", str(zpath)) is N
    res = N.read(str(zpath))
    one = N.read(str(FILE)).rows
    assert len(res.rows) == 2 * len(one) and res.problems == [] and res.lost_values == {}
    assert sorted(res.rows.cast_id.unique()) == ["cchdo:31TTTPS24_2:199:1", "cchdo:31TTTPS24_2:200:1"]
    assert (res.rows.oxygen_reason == "").sum() == 2 * (one.oxygen_reason == "").sum()


def test_zip_with_a_damaged_member_names_archive_and_member_and_reads_the_rest(tmp_path):
    data = FILE.read_bytes()
    zpath = tmp_path / "cruise_nc_hyd.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a_hy1.nc", data)
        zf.writestr("b_hy1.nc", data[: len(data) // 2])          # cut short
        zf.writestr("README.txt", "not a netCDF file\n")
    res = N.read(str(zpath))
    assert len(res.rows) == 36
    where = {p.file for p in res.problems}
    assert where == {f"{zpath}!b_hy1.nc", f"{zpath}!README.txt"}
    assert any("truncated" in p.message for p in res.problems)


def test_zip_without_a_readable_member_is_a_reader_error(tmp_path):
    zpath = tmp_path / "empty_nc_hyd.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a_hy1.nc", FILE.read_bytes()[:3000])
    with pytest.raises(ReaderError) as e:
        N.read(str(zpath))
    assert str(zpath) in str(e.value) and "a_hy1.nc" in str(e.value)
