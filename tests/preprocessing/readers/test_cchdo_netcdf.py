"""CCHDO WOCE/COARDS netCDF reader on the real p03a bottle file; expectations computed with netCDF4."""
from __future__ import annotations

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
