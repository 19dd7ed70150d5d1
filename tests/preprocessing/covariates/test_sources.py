"""Reading WOA- and EN4-layout files: the layout as documented, conversions, and one clear error naming the file
for each kind of bad input."""
from __future__ import annotations

import shutil

import netCDF4
import numpy as np
import pytest
import xarray as xr

from preprocessing.covariates.sources import SourceError, en4_months, read_en4_year, read_field, read_woa

from .conftest import EN4, WOA_S, WOA_T, raw


def _variant(src, dst, edit):
    with xr.open_dataset(src, decode_times=False) as ds:
        out = edit(ds.load())
    out.to_netcdf(dst)
    return dst


def test_committed_files_have_the_products_layout():
    with netCDF4.Dataset(WOA_T) as ds:
        assert ds["t_an"].dimensions == ("time", "depth", "lat", "lon") and ds["t_an"].units == "degrees_celsius"
        assert ds["depth"].size == 102 and ds["depth"][-1] == 5500 and ds["time"].units.startswith("months since")
        assert {"lat_bnds", "lon_bnds", "depth_bnds", "crs", "climatology_bounds"} <= set(ds.variables)
    with netCDF4.Dataset(WOA_S) as ds:
        assert ds["s_an"].units == "1" and ds["s_an"].standard_name == "sea_water_salinity"
    assert len(EN4) == 12
    with netCDF4.Dataset(EN4[0]) as ds:
        assert ds["temperature"].dimensions == ("time", "depth", "lat", "lon")
        assert ds["temperature"].units == "kelvin" and ds["salinity"].units == "psu" and ds["depth"].size == 42
        assert ds["lon"][0] == 1 and ds["lat"][0] == -83 and ds["time"].units == "days since 1800-01-01 00:00:00"


def test_woa_is_read_as_is_and_en4_converted_from_kelvin_and_averaged():
    t, s = read_woa([str(WOA_T.parent)])                    # a folder: files sniffed by their variables
    v, depth, lat, lon = raw(WOA_T, "t_an")
    assert not t.potential and t.periodic and t.depth_extent == (0.0, 5500.0) and t.lat_extent == (-90.0, 90.0)
    np.testing.assert_allclose(t.values, v, rtol=1e-7)          # WOA lon is already -177.5 … 177.5
    et, es = read_en4_year([str(p) for p in EN4])
    months = np.stack([raw(p, "temperature")[0] for p in EN4]) - 273.15
    lon4 = raw(EN4[0], "temperature")[3]
    order = np.argsort((lon4 + 180) % 360 - 180)
    np.testing.assert_allclose(et.values, months.mean(0)[:, :, order], rtol=1e-5, atol=1e-5)
    assert et.potential and et.lon[0] == -179.0 and et.periodic and et.lat_extent == (-88.0, 90.0)
    assert en4_months([str(EN4[0].parent)]) == {2010: [(m, str(p)) for m, p in zip(range(1, 13), EN4)]}


def test_packed_en4_reads_the_same(tmp_path):
    def pack(ds):
        enc = {"dtype": "int16", "scale_factor": 0.001, "add_offset": 280.0, "_FillValue": -32768}
        ds["temperature"].encoding.update(enc)
        return ds
    p = _variant(EN4[0], tmp_path / EN4[0].name, pack)
    with netCDF4.Dataset(p) as ds:
        assert ds["temperature"].dtype == np.int16
    a, b = read_field(str(EN4[0]), "temperature", "temperature"), read_field(str(p), "temperature", "temperature")
    np.testing.assert_allclose(a.values, b.values, atol=6e-4)


@pytest.mark.parametrize("edit, message", [
    (lambda ds: ds.rename({"t_an": "t_mn"}), r"not a WOA temperature or salinity file \(no t_an or s_an; has: "),
    (lambda ds: ds.assign(t_an=ds["t_an"].assign_attrs(units="degF")), r"'t_an' has units 'degF', expected"),
    (lambda ds: ds.assign(t_an=ds["t_an"] + 273.15), r"'t_an' spans .* outside -3…40 for temperature \(wrong units"),
    (lambda ds: ds.assign(t_an=ds["t_an"].transpose("time", "lat", "lon", "depth")),
     r"'t_an' has dims \('lat', 'lon', 'depth'\), expected \(time, depth, lat, lon\)"),
    (lambda ds: ds.assign(depth=ds["depth"].assign_attrs(units="fathoms")), r"depth has units 'fathoms'"),
])
def test_bad_woa_files_fail_naming_the_file(tmp_path, edit, message):
    bad = _variant(WOA_T, tmp_path / "bad_t00.nc", edit)
    with pytest.raises(SourceError, match=rf"^{tmp_path}/bad_t00\.nc: {message}"):
        read_woa([str(bad), str(WOA_S)])


def test_bad_en4_inputs(tmp_path):
    shutil.copy(EN4[0], tmp_path / "a.nc")
    shutil.copy(EN4[0], tmp_path / "b.nc")
    with pytest.raises(SourceError, match=r"b\.nc: a second file for 2010-01 \(also .*a\.nc\)"):
        en4_months([str(tmp_path)])
    lying = _variant(EN4[1], tmp_path / "lying.nc", lambda ds: ds.assign(
        temperature=ds["temperature"].assign_attrs(units="degC")))
    with pytest.raises(SourceError, match=r"lying\.nc: 'temperature' spans 2\d\d\.\d*….* from 'degC'"):
        read_en4_year([str(lying)])
    nosal = _variant(EN4[2], tmp_path / "nosal.nc", lambda ds: ds.drop_vars("salinity"))
    with pytest.raises(SourceError, match=r"nosal\.nc: not an EN4 analysis file \(no salinity; has: "):
        en4_months([str(nosal)])
    with pytest.raises(SourceError, match=r"nothing_here/\*\.nc: no NetCDF file there"):
        en4_months([str(tmp_path / "nothing_here" / "*.nc")])
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(SourceError, match=r"junk\.nc: not a readable NetCDF file"):
        read_woa([str(tmp_path / "junk.nc")])
