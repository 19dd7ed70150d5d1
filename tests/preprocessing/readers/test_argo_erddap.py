"""ERDDAP tabledap Argo reader on the real Labrador Sea download (counts computed independently)."""
import netCDF4
import numpy as np
import pandas as pd
import pytest

from preprocessing.readers import argo_erddap
from preprocessing.readers.base import ReaderError, ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "argo"
FILE = REAL / "erddap_labrador_sea_surface.nc"


def _table() -> pd.DataFrame:
    with netCDF4.Dataset(FILE) as ds:
        ds.set_auto_mask(False)
        ds.set_auto_chartostring(True)
        out = {}
        for name in ("platform_number", "cycle_number", "direction", "doxy", "doxy_qc", "doxy_adjusted",
                     "doxy_adjusted_qc", "position_qc", "time_qc", "temp"):
            a = np.asarray(ds[name][:])
            out[name] = np.char.decode(a).astype(str) if a.dtype.kind == "S" else a
        return pd.DataFrame(out)


@pytest.fixture(scope="module")
def rows():
    return argo_erddap.read(str(FILE), ReaderOptions()).rows


def test_can_read():
    assert argo_erddap.can_read(str(FILE))
    assert not argo_erddap.can_read(str(REAL / "SD5904989_012.nc"))
    assert not argo_erddap.can_read(str(REAL.parent / "wod" / "classic.dat"))


def test_good_doxy_count_matches_independent_count(rows):
    t = _table()
    prof = t["platform_number"] + ":" + t["cycle_number"].astype(str) + ":" + t["direction"]
    adj_ok = t["doxy_adjusted"] != 99999.0
    uses_adj = adj_ok.groupby(prof).transform("any")
    good_pos = ~t["position_qc"].isin(["3", "4", "9"]) & ~t["time_qc"].isin(["3", "4", "9"])
    good = np.where(uses_adj, adj_ok & t["doxy_adjusted_qc"].isin(["1", "2"]),
                    (t["doxy"] != 99999.0) & t["doxy_qc"].isin(["1", "2"])) & good_pos
    n = int((rows["oxygen_reason"] == "").sum())
    assert n == int(good.sum())
    assert 6000 < n < 7000
    ok = rows.loc[rows["oxygen_reason"] == "", "oxygen"]
    assert ok.between(150, 450).all()


def test_every_row_is_accounted_for_each_carried_variable(rows):
    n = len(_table())
    assert len(rows) == n
    for var in ("oxygen", "temperature", "salinity"):
        r = rows[var + "_reason"]
        assert int((r == "").sum() + ((r != "") & (r != "absent")).sum()) == n
    assert (rows["nitrate_reason"] == "absent").all()


def test_profiles_and_positions(rows):
    assert rows["cast_id"].str.match(r"^argo:\d{7}:\d+:[AD]$").all()
    assert 1200 <= rows["cast_id"].nunique() <= 1300
    assert rows["lat"].between(55, 57).all() and rows["lon"].between(-55, -47).all()
    assert rows["time"].min().year == 2003 and rows["time"].max().year == 2025
    assert rows["depth"].max() < 11


def test_truncated_copy_raises_error_naming_it(tmp_path):
    data = FILE.read_bytes()
    bad = tmp_path / FILE.name
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError) as e:
        argo_erddap.read(str(bad))
    assert str(bad) in str(e.value)
