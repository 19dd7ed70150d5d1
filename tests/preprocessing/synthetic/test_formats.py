"""Each synthetic format opens the same way as the corresponding real file."""
import netCDF4
import numpy as np
import pandas as pd
import xarray as xr

from tests.fixtures import REAL_DATA


def _whp(path):
    lines = open(path).read().splitlines()
    assert lines[0].startswith("BOTTLE,")
    body = [ln for ln in lines[1:] if not ln.startswith("#")]
    names, units = body[0].split(","), body[1].split(",")
    end = body.index("END_DATA")
    return names, units, body[2:end]


def test_wod_like_real(tiny):
    root, _ = tiny
    real = netCDF4.Dataset(REAL_DATA / "wod" / "ocldb1570984477.6279_OSD.nc")
    files = sorted((root / "wod").glob("*.nc"))
    ok = 0
    for f in files:
        try:
            ds = netCDF4.Dataset(f)
        except OSError:
            continue
        ok += 1
        for v in ("lat", "lon", "time", "z", "z_row_size", "Oxygen", "Oxygen_row_size", "Temperature",
                  "Salinity", "Phosphate", "Silicate", "wod_unique_cast", "country", "Bottom_Depth"):
            assert v in ds.variables and v in real.variables
            assert ds[v].dimensions[0] == real[v].dimensions[0]
        assert "Oxygen_WODflag" in ds.variables and ds["Oxygen_WODflag"].dimensions == ("Oxygen_obs",)
        assert ds["time"].units == real["time"].units
        assert ds["Oxygen"].units in ("umol/kg", "ml/l") and ds["Oxygen"]._FillValue == real["Oxygen"]._FillValue
        assert ds["z_row_size"][:].sum() == ds.dimensions["z_obs"].size
        assert ds["Oxygen_row_size"][:].sum() == ds.dimensions["Oxygen_obs"].size
        ds.close()
    assert ok == len(files) - 1        # one truncated file
    xr.open_dataset(files[-1]).close()


def test_argo_like_real(tiny):
    root, _ = tiny
    real = netCDF4.Dataset(REAL_DATA / "argo" / "SD5904989_012.nc")
    files = sorted((root / "argo").rglob("S*.nc"))
    assert files and all(f.parent.name in f.name for f in files)
    ds = netCDF4.Dataset(files[0])
    assert ds.file_format == real.file_format == "NETCDF3_CLASSIC"
    for v in ("PRES", "TEMP", "PSAL", "DOXY", "DOXY_QC", "DOXY_ADJUSTED", "DOXY_ADJUSTED_QC", "JULD", "LATITUDE",
              "LONGITUDE", "PLATFORM_NUMBER", "CYCLE_NUMBER", "DATA_TYPE", "PARAMETER_DATA_MODE"):
        assert ds[v].dimensions == real[v].dimensions, v
        assert ds[v].dtype == real[v].dtype, v
    assert ds["JULD"].units == real["JULD"].units
    assert ds["DOXY_ADJUSTED"]._FillValue == real["DOXY_ADJUSTED"]._FillValue
    assert netCDF4.chartostring(ds["PLATFORM_NUMBER"][:])[0].strip() == files[0].parent.name
    assert set(ds.dimensions) <= set(real.dimensions)


def test_cchdo_like_real(tiny):
    root, _ = tiny
    rn, ru, _ = _whp(REAL_DATA / "cchdo" / "p02.csv")
    files = sorted((root / "cchdo").glob("*_hy1.csv"))
    assert files
    names, units, rows = _whp(files[0])
    for col in ("EXPOCODE", "STNNBR", "CASTNO", "DATE", "TIME", "LATITUDE", "LONGITUDE", "CTDPRS", "CTDTMP",
                "CTDSAL", "OXYGEN", "OXYGEN_FLAG_W", "NITRAT", "PHSPHT", "SILCAT"):
        assert col in names and col in rn
        assert units[names.index(col)] == ru[rn.index(col)]
    ok = [r for r in rows if len(r.split(",")) == len(names)]
    df = pd.DataFrame([r.split(",") for r in ok], columns=names)
    assert set(df["OXYGEN_FLAG_W"].str.strip()) <= {"2", "3", "4", "9"}


def test_glodap_columns(tiny):
    root, _ = tiny
    df = pd.read_csv(root / "glodap" / "GLODAPv2.2022_Merged_Master_File.csv")
    for c in ("G2expocode", "G2cruise", "G2station", "G2year", "G2month", "G2day", "G2latitude", "G2longitude",
              "G2depth", "G2pressure", "G2temperature", "G2salinity", "G2oxygen", "G2oxygenf", "G2nitrate",
              "G2nitratef", "G2phosphate", "G2phosphatef"):
        assert c in df.columns
    assert len(df) > 0 and set(df["G2oxygenf"]) <= {0, 2, 9}
    assert (df.loc[df["G2oxygenf"] == 9, "G2oxygen"] == -9999).all()


def test_geotraces_like_real(tiny):
    root, _ = tiny
    real = pd.read_csv(REAL_DATA / "geotraces" / "GIPY04.csv", nrows=5)
    files = sorted((root / "geotraces").glob("*.csv"))
    assert files
    df = pd.read_csv(files[0])
    assert list(df.columns[:7]) == list(real.columns[:7])
    for c in ("CTDTMP [deg C]", "DEPTH [m]", "PRESSURE [dbar]", "PHOSPHATE_D_CONC_BOTTLE [umol/kg]",
              "NITRATE_D_CONC_BOTTLE [umol/kg]", "QV:ODV:SAMPLE"):
        assert c in df.columns and c in real.columns
    o = list(df.columns).index("OXYGEN_D_CONC_BOTTLE [umol/kg]")
    assert df.columns[o + 1].startswith("QV:IODE")


def test_truth_and_covariates(tiny):
    root, _ = tiny
    t = xr.open_dataset(root / "truth.nc")
    c = xr.open_dataset(root / "covariates.nc")
    assert t["o2"].dims == ("time", "depth", "lat", "lon")
    assert set(c.data_vars) == {"temperature", "salinity"}
    for v in ("o2", "temperature", "salinity", "nitrate", "phosphate"):
        assert v in t
    ocean = np.isfinite(c["temperature"].values)
    assert 0.2 < ocean.mean() < 0.8
    assert (np.isfinite(t["o2"].values) == ocean).all()
    assert float(t["o2"].min()) > 0 and float(t["o2"].max()) < 450
    assert t.attrs["resolution_deg"] == 10.0 and t.sizes["time"] == 21
    assert pd.Timestamp(t["time"].values[0]).year == 1995
