"""Fault counts in summary.json equal what an independent count finds in the files."""
import numpy as np
import netCDF4
import pandas as pd

from preprocessing import units


def _outliers(o2, t, s, depth, lat):
    sol = units.oxygen_solubility(s, t, units.pressure_from_depth(depth, lat), lat)
    rng = (o2 < 0) | (o2 > 600)
    sup = ~rng & (depth >= 200) & (o2 > 1.2 * sol)
    return int(rng.sum()), int(sup.sum())


def _count(root):
    n = {"obs": {}, "bad": 0, "missing": 0, "range": 0, "sup": 0, "mll": 0, "unreadable": [], "malformed": []}
    stations = []           # (lat, lon, time) of non-WOD casts with oxygen
    wod_casts = []          # (lat, lon, time, oxygen entries)
    for f in sorted((root / "wod").glob("*.nc")):
        try:
            ds = netCDF4.Dataset(f)
        except OSError:
            n["unreadable"].append(f"wod/{f.name}")
            continue
        ds.set_auto_mask(False)
        zr, orow = ds["z_row_size"][:], ds["Oxygen_row_size"][:]
        has = np.repeat(orow > 0, zr)
        lat = np.repeat(ds["lat"][:].astype(float), zr)[has]
        o2 = ds["Oxygen"][:].astype(float)
        miss = o2 == np.float32(-1e10)
        n["obs"]["wod"] = n["obs"].get("wod", 0) + len(o2)
        n["missing"] += int(miss.sum())
        n["bad"] += int(((ds["Oxygen_WODflag"][:] != 0) & ~miss).sum())
        if ds["Oxygen"].units == "ml/l":
            n["mll"] += len(o2)
        else:
            r, s = _outliers(o2[~miss], ds["Temperature"][:][has][~miss], ds["Salinity"][:][has][~miss],
                             ds["z"][:][has][~miss].astype(float), lat[~miss])
            n["range"] += r
            n["sup"] += s
        t = ds["time"][:]
        for k in np.nonzero(orow > 0)[0]:
            wod_casts.append((float(ds["lat"][k]), float(ds["lon"][k]), t[k] * 1440.0, int(orow[k])))
        ds.close()
    for f in sorted((root / "argo").rglob("*.nc")):
        ds = netCDF4.Dataset(f)
        ds.set_auto_mask(False)
        o2 = ds["DOXY_ADJUSTED"][0].astype(float)
        qc = netCDF4.chartostring(ds["DOXY_ADJUSTED_QC"][0])
        qc = np.array(list(str(qc)))
        miss = o2 == 99999.0
        lat = float(ds["LATITUDE"][0])
        n["obs"]["argo"] = n["obs"].get("argo", 0) + len(o2)
        n["missing"] += int(miss.sum())
        n["bad"] += int((np.isin(qc, ["3", "4"]) & ~miss).sum())
        p = ds["PRES"][0].astype(float)
        r, s = _outliers(o2[~miss], ds["TEMP"][0][~miss], ds["PSAL"][0][~miss],
                         units.depth_from_pressure(p[~miss], lat), np.full((~miss).sum(), lat))
        n["range"] += r
        n["sup"] += s
        t = (ds["JULD"][0] + (np.datetime64("1950-01-01") - np.datetime64("1770-01-01")).astype(float)) * 1440.0
        stations.append((lat, float(ds["LONGITUDE"][0]), t))
        ds.close()
    for f in sorted((root / "cchdo").glob("*.csv")):
        body = [ln for ln in f.read_text().splitlines()[1:] if not ln.startswith("#")]
        names = body[0].split(",")
        rows = []
        for k, ln in enumerate(body[2:body.index("END_DATA")]):
            parts = ln.split(",")
            if len(parts) != len(names):
                n["malformed"].append(f"cchdo/{f.name}")
                continue
            rows.append(parts)
        df = pd.DataFrame(rows, columns=names)
        for col in names[3:]:
            df[col] = pd.to_numeric(df[col])
        _table(n, "cchdo", df["OXYGEN"], df["OXYGEN_FLAG_W"], [3, 4], df["OXYGEN"] == -999, df["CTDTMP"],
               df["CTDSAL"], units.depth_from_pressure(df["CTDPRS"].values, df["LATITUDE"].values), df["LATITUDE"])
        tm = pd.to_datetime(df["DATE"].astype(str) + df["TIME"].astype(str).str.zfill(4), format="%Y%m%d%H%M")
        _stations(stations, df["LATITUDE"], df["LONGITUDE"], tm)
    df = pd.read_csv(root / "glodap" / "GLODAPv2.2022_Merged_Master_File.csv")
    _table(n, "glodap", df["G2oxygen"], df["G2oxygenf"], [0], df["G2oxygenf"] == 9, df["G2temperature"],
           df["G2salinity"], df["G2depth"].values, df["G2latitude"])
    tm = pd.to_datetime(dict(year=df.G2year, month=df.G2month, day=df.G2day, hour=df.G2hour, minute=df.G2minute))
    _stations(stations, df["G2latitude"], df["G2longitude"], tm)
    for f in sorted((root / "geotraces").glob("*.csv")):
        df = pd.read_csv(f)
        o = list(df.columns).index("OXYGEN_D_CONC_BOTTLE [umol/kg]")
        flag = df.iloc[:, o + 1]
        _table(n, "geotraces", df.iloc[:, o].fillna(-1e9), flag, [3, 4], df.iloc[:, o].isna(),
               df["CTDTMP [deg C]"], df["CTDSAL"], df["DEPTH [m]"].values, df["Latitude [degrees_north]"])
        _stations(stations, df["Latitude [degrees_north]"], df["Longitude [degrees_east]"],
                  pd.to_datetime(df["yyyy-mm-ddThh:mm:ss.sss"]))
    st = np.array(stations)
    dup = 0
    for lat, lon, t, k in wod_casts:
        if np.any((np.abs(st[:, 0] - lat) < 0.01) & (np.abs(st[:, 1] - lon) < 0.01) & (np.abs(st[:, 2] - t) < 30)):
            dup += k
    n["dup"] = dup
    return n


def _stations(stations, lat, lon, tm):
    mins = (tm - pd.Timestamp("1770-01-01")).dt.total_seconds().values / 60.0
    for row in set(zip(np.round(lat.values, 4), np.round(lon.values, 4), mins)):
        stations.append(row)


def _table(n, src, o2, flag, bad_flags, miss, t, s, depth, lat):
    o2, miss = o2.values.astype(float), miss.values
    n["obs"][src] = n["obs"].get(src, 0) + len(o2)
    n["missing"] += int(miss.sum())
    n["bad"] += int((flag.isin(bad_flags).values & ~miss).sum())
    r, s_ = _outliers(o2[~miss], t.values[~miss].astype(float), s.values[~miss].astype(float), depth[~miss].astype(float),
                      lat.values[~miss].astype(float))
    n["range"] += r
    n["sup"] += s_


def test_fault_counts_match_files(tiny):
    root, summ = tiny
    n = _count(root)
    f = summ["injected_faults"]
    assert n["obs"] == {k: v for k, v in summ["observations"].items() if v}
    assert n["bad"] == f["bad_flag"] > 0
    assert n["missing"] == f["missing"] > 0
    assert n["range"] == f["outlier_kinds"]["range"] > 0
    assert n["sup"] == f["outlier_kinds"]["supersaturation"] > 0
    assert f["outlier"] == n["range"] + n["sup"]
    assert n["mll"] == f["mll_units"] > 0
    assert n["dup"] == f["duplicate"] > 0
    corrupt = {c["kind"]: c for c in f["corrupt_files"]}
    assert [corrupt["truncated_netcdf"]["file"]] == n["unreadable"]
    assert corrupt["truncated_netcdf"]["oxygen_values_lost"] > 0
    assert [corrupt["malformed_line"]["file"]] == n["malformed"]
    good = sum(summ["observations_good"].values())
    assert good == sum(summ["observations"].values()) - f["bad_flag"] - f["outlier"] - f["missing"] - f["duplicate"]
