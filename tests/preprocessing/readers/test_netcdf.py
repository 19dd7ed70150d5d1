"""The netCDF helpers shared by the netCDF readers: the one completeness check (a netCDF-3 file must be as long as
its header says: header, fixed-size variables at their offsets, every record), used by every netCDF reader."""
from __future__ import annotations

import netCDF4
import numpy as np
import pandas as pd
import pytest

from preprocessing.readers import argo, argo_erddap, cchdo_netcdf, netcdf, netcdf3, wod_ragged
from preprocessing.readers.base import ReaderError
from tests.fixtures import REAL_DATA

NETCDF3 = sorted(p for p in REAL_DATA.rglob("*.nc") if p.read_bytes()[:4] in (b"CDF\x01", b"CDF\x02"))
CUTS = (0.05, 0.3, 0.6, 0.75, 0.9, 0.99)
READERS = {"argo": argo, "cchdo": cchdo_netcdf}


def test_every_real_netcdf3_file_has_the_size_its_header_says():
    """Exactly, but for the CCHDO file, which an old writer padded with zeros after its last variable."""
    assert len(NETCDF3) >= 17
    for path in NETCDF3:
        with open(path, "rb") as fh:
            need = netcdf3.netcdf3_size(fh)
        size = path.stat().st_size
        assert need == size or (path.name.startswith("p03a") and need < size and
                                not path.read_bytes()[need:].strip(b"\0")), path.name


@pytest.mark.parametrize("name,reader", [("argo/6903247/SR6903247_010.nc", argo), ("argo/SD5904989_012.nc", argo),
                                         ("argo/6903247/BR6903247_001.nc", argo),
                                         ("argo/erddap_labrador_sea_surface.nc", argo_erddap),
                                         ("cchdo/p03a_00199_00001_hy1.nc", cchdo_netcdf)])
@pytest.mark.parametrize("cut", CUTS)
def test_truncated_netcdf3_is_a_reader_error_naming_the_file(tmp_path, name, reader, cut):
    data = (REAL_DATA / name).read_bytes()
    if name.startswith("cchdo"):                     # its zero padding after the last variable is not data
        data = data[:14992]
    bad = tmp_path / name.rsplit("/", 1)[-1]
    bad.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ReaderError) as e:
        reader.read(str(bad))
    assert str(bad) in str(e.value)
    assert "truncated" in str(e.value) or "not a readable netCDF" in str(e.value)


@pytest.mark.parametrize("name,reader", [("argo/SD5904989_012.nc", argo), ("argo/6903247/R6903247_001.nc", argo)])
def test_one_missing_byte_is_caught(tmp_path, name, reader):
    data = (REAL_DATA / name).read_bytes()
    bad = tmp_path / name.rsplit("/", 1)[-1]
    bad.write_bytes(data[:-1])
    with pytest.raises(ReaderError, match="truncated"):
        reader.read(str(bad))


def test_padding_after_the_last_variable_is_not_needed(tmp_path):
    """The CCHDO file's trailing zeros are not data: cut where its header says the data end, it reads the same;
    one byte less is an error."""
    src = REAL_DATA / "cchdo" / "p03a_00199_00001_hy1.nc"
    with open(src, "rb") as fh:
        need = netcdf3.netcdf3_size(fh)
    data = src.read_bytes()
    assert need < len(data)
    short = tmp_path / src.name
    short.write_bytes(data[:need])
    pd.testing.assert_frame_equal(cchdo_netcdf.read(str(short)).rows, cchdo_netcdf.read(str(src)).rows)
    short.write_bytes(data[:need - 1])
    with pytest.raises(ReaderError, match="truncated"):
        cchdo_netcdf.read(str(short))


def test_record_variables_count_every_record(tmp_path):
    """A file with an unlimited dimension: the records after the header's numrecs are what a cut removes."""
    path = tmp_path / "rec.nc"
    with netCDF4.Dataset(path, "w", format="NETCDF3_CLASSIC") as ds:
        ds.createDimension("t", None)
        ds.createDimension("x", 3)
        ds.createVariable("fixed", "f8", ("x",))[:] = [1, 2, 3]
        ds.createVariable("a", "i2", ("t", "x"))[:] = np.arange(30).reshape(10, 3)
        ds.createVariable("b", "f4", ("t",))[:] = np.arange(10)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        assert netcdf3.netcdf3_size(fh) == size
    path.write_bytes(path.read_bytes()[:size - 4])
    with pytest.raises(ReaderError, match="truncated"):
        netcdf.read_netcdf(str(path), lambda ds: None, "test file")


def test_single_record_variable_has_no_record_padding(tmp_path):
    path = tmp_path / "one.nc"
    with netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET") as ds:
        ds.createDimension("t", None)
        ds.createVariable("c", "S1", ("t",))[:] = np.array(list(b"abcde"), dtype="S1")
    with open(path, "rb") as fh:
        assert netcdf3.netcdf3_size(fh) == path.stat().st_size


def test_truncated_netcdf4_is_a_reader_error(tmp_path):
    data = (REAL_DATA / "wod" / "ocldb1570984477.6279_OSD.nc").read_bytes()
    for cut in CUTS:
        bad = tmp_path / "ocldb1570984477.6279_OSD.nc"
        bad.write_bytes(data[: int(len(data) * cut)])
        with pytest.raises(ReaderError) as e:
            wod_ragged.read(str(bad))
        assert str(bad) in str(e.value)
