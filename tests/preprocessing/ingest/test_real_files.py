"""Ingest every real file in tests/data/real; the store matches counts computed independently here."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest

from tests.fixtures import REAL_DATA

REAL = REAL_DATA
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))


def ingest(out: Path, *sources: str, extra=()) -> subprocess.CompletedProcess:
    cmd = [EXE, "ingest", "--out", str(out), "--workers", "1", *[f"--source={s}" for s in sources], *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "store"
    r = ingest(out, f"argo={REAL / 'argo'}", f"wod={REAL / 'wod'}", f"cchdo={REAL / 'cchdo'}",
               f"geotraces={REAL / 'geotraces'}")
    assert r.returncode == 0, r.stderr
    return out, json.loads((out / "ingest_report.json").read_text()), r


def store_frame(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out, columns=None).reset_index(drop=True) if any(out.glob("year=*")) else pd.DataFrame()


def good_oxygen_in_store(out: Path, file: Path) -> int:
    files = sorted(out.glob("year=*/*.parquet"))
    n = 0
    for f in files:
        df = pd.read_parquet(f, columns=["source_file", "oxygen"])
        n += int(df.loc[df["source_file"] == str(file), "oxygen"].notna().sum())
    return n


def _argo_good(path: Path) -> int:
    """Independent count: DOXY_ADJUSTED finite with QC 1/2; profiles without adjusted values use DOXY by its QC."""
    with netCDF4.Dataset(path) as d:
        d.set_auto_mask(False)
        total = 0
        for p in range(d.dimensions["N_PROF"].size):
            adj = np.asarray(d["DOXY_ADJUSTED"][p], float)
            adj_qc = np.asarray(d["DOXY_ADJUSTED_QC"][p]).astype(str)
            raw = np.asarray(d["DOXY"][p], float)
            raw_qc = np.asarray(d["DOXY_QC"][p]).astype(str)
            if np.any(adj < 99999):
                ok = (adj < 99999) & np.isin(adj_qc, ["1", "2"])
            else:
                ok = (raw < 99999) & np.isin(raw_qc, ["1", "2"])
            total += int(ok.sum())
        return total


def test_every_real_file_ingests(real_store):
    out, report, _ = real_store
    assert report["failed_files"] == []
    names = {Path(f["file"]).name for f in report["files"]}
    expected = {p.name for p in REAL.rglob("*") if p.is_file() and p.suffix in (".nc", ".csv", ".dat")}
    assert expected <= names


def test_counts_reconcile_per_file(real_store):
    _, report, _ = real_store
    for f in report["files"]:
        if f["status"] != "ok":
            continue
        for v, c in f["counts"].items():
            assert c["read"] == c["accepted"] + sum(c["rejected"].values()), (f["file"], v)


def test_argo_s_files_match_independent_count(real_store):
    out, _, _ = real_store
    for path in [REAL / "argo" / "SD5904989_012.nc", *sorted((REAL / "argo" / "6903247").glob("SR*.nc"))[:12]]:
        assert good_oxygen_in_store(out, path) == _argo_good(path), path.name
    assert _argo_good(REAL / "argo" / "SD5904989_012.nc") == 101


def test_argo_b_file_is_a_duplicate_of_its_s_file(real_store):
    out, report, _ = real_store
    br = REAL / "argo" / "6903247" / "BR6903247_001.nc"
    entry = next(f for f in report["files"] if f["file"] == str(br))
    assert good_oxygen_in_store(out, br) == 0
    assert entry["counts"]["oxygen"]["rejected"].get("duplicate", 0) > 0


def test_erddap_matches_independent_count(real_store):
    out, _, _ = real_store
    path = REAL / "argo" / "erddap_labrador_sea_surface.nc"
    with netCDF4.Dataset(path) as d:
        d.set_auto_mask(False)
        v = np.asarray(d["doxy_adjusted"][:], float)
        qc = np.asarray(d["doxy_adjusted_qc"][:])
        fill = d["doxy_adjusted"].getncattr("_FillValue") if "_FillValue" in d["doxy_adjusted"].ncattrs() else 99999
        qc = np.array([str(int(q)) if np.issubdtype(np.asarray(q).dtype, np.number) else str(q) for q in qc])
        expected = int(((v != fill) & np.isfinite(v) & np.isin(qc, ["1", "2"])).sum())
    assert 6000 <= expected <= 7000
    assert good_oxygen_in_store(out, path) == expected


def test_wod_netcdf_matches_independent_count(real_store):
    """84 good values in 20 casts; one of those casts is also in classic.dat (same WOD cast number), which carries
    more variables, so that cast's netCDF copy is a duplicate."""
    from wodpy import wod

    out, _, _ = real_store
    in_classic = set()
    with open(REAL / "wod" / "classic.dat") as f:
        while True:
            prof = wod.WodProfile(f)
            in_classic.add(int(prof.uid()))
            if prof.is_last_profile_in_file(f):
                break
    path = REAL / "wod" / "ocldb1570984477.6279_OSD.nc"
    with netCDF4.Dataset(path) as d:
        rs = np.ma.filled(d["Oxygen_row_size"][:], 0).astype(int)
        ox = np.ma.filled(d["Oxygen"][:].astype(float), np.nan)
        flag = np.ma.filled(d["Oxygen_IQUODflag"][:], -1)
        cast_of_value = np.repeat(np.ma.filled(d["wod_unique_cast"][:], -1), rs)
        good = np.isfinite(ox) & (flag == 0)
        expected = int((good & ~np.isin(cast_of_value, list(in_classic))).sum())
    assert int((rs > 0).sum()) == 20 and int(good.sum()) == 84
    assert 0 < 84 - expected < 84
    assert good_oxygen_in_store(out, path) == expected


def test_cchdo_p02_matches_pandas(real_store):
    out, _, _ = real_store
    path = REAL / "cchdo" / "p02.csv"
    lines = path.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if not l.startswith("#") and not l.startswith("BOTTLE"))
    df = pd.read_csv(path, skiprows=list(range(start)) + [start + 1], skipinitialspace=True, comment=None,
                     skipfooter=1, engine="python")
    bottle = (df["OXYGEN_FLAG_W"] == 2) & (df["OXYGEN"] > -999)
    ctd_only = ~(df["OXYGEN"] > -999) & (df["CTDOXY_FLAG_W"] == 2) & (df["CTDOXY"] > -999)
    assert int(bottle.sum()) == 5162
    assert good_oxygen_in_store(out, path) == int(bottle.sum() + ctd_only.sum())


def test_classic_wod_oxygen_converted_from_ml_per_l(real_store):
    """Hand conversion here: ml/l × 44.6596 / (in-situ density / 1000), density from gsw with the cast's T, S."""
    import gsw
    from wodpy import wod

    out, _, _ = real_store
    path = REAL / "wod" / "classic.dat"
    expected = {}
    with open(path) as f:
        while True:
            prof = wod.WodProfile(f)
            o = prof.oxygen()
            if o is not None:
                z, t, s_ = (np.ma.filled(np.ma.masked_invalid(a).astype(float), np.nan)
                            for a in (prof.z(), prof.t(), prof.s()))
                o = np.ma.filled(np.ma.masked_invalid(o).astype(float), np.nan)
                p = gsw.p_from_z(-z, prof.latitude())
                sa = gsw.SA_from_SP(np.where(np.isfinite(s_), s_, 35), p, prof.longitude(), prof.latitude())
                rho = gsw.rho(sa, gsw.CT_from_t(sa, np.where(np.isfinite(t), t, 10), p), p)
                for zz, oo, rr in zip(z, o, rho):
                    if np.isfinite(oo):
                        assert oo < 15                                   # the raw numbers are ml/l
                        expected[(round(prof.latitude(), 2), round(float(zz), 1))] = oo * 44.6596 / (rr / 1000)
            if prof.is_last_profile_in_file(f):
                break
    df = pd.concat([pd.read_parquet(p) for p in out.glob("year=*/*.parquet")])
    df = df[(df["source_file"] == str(path)) & df["oxygen"].notna()]
    assert len(df) > 0
    for lat, depth, ox in zip(df["lat"], df["depth"], df["oxygen"]):
        want = expected[(round(lat, 2), round(float(depth), 1))]
        assert abs(ox - want) / want < 1e-3, (lat, depth, ox, want)


def test_store_columns_and_units(real_store):
    out, _, _ = real_store
    from oxygen_contracts.schema import STORE_COLUMNS

    df = pd.read_parquet(next(out.glob("year=*/*.parquet")))
    assert list(df.columns) == list(STORE_COLUMNS)
    all_ = pd.concat([pd.read_parquet(p) for p in out.glob("year=*/*.parquet")])
    assert all_["lon"].between(-180, 180, inclusive="left").all()
    ox = all_["oxygen"].dropna()
    assert ox.between(0, 600).all()
    assert str(all_["time"].dt.tz) == "UTC"


def test_rerun_skips_done_inputs_and_redoes_changed_ones(tmp_path):
    """Small files of one folder form one chunk; a chunk is redone when any of its files changes."""
    src = tmp_path / "in"
    for sub, names in {"a": ["33RR20080204_mini_hy1.csv", "p02.csv"], "b": ["64PE20050907_hy1.csv"],
                       "c": ["a10_33RO20110926_hy1.csv"]}.items():
        (src / sub).mkdir(parents=True)
        for n in names:
            shutil.copy(REAL / "cchdo" / n, src / sub / n)
    out = tmp_path / "store"
    assert ingest(out, f"cchdo={src}").returncode == 0
    r1 = json.loads((out / "ingest_report.json").read_text())
    assert r1["n_files_skipped_staging"] == 0 and r1["n_chunks"] == 3
    assert ingest(out, f"cchdo={src}").returncode == 0
    r2 = json.loads((out / "ingest_report.json").read_text())
    assert r2["n_files_skipped_staging"] == r2["n_files"] == 4 and r2["n_chunks_rewritten"] == 0
    assert r2["totals"] == r1["totals"]
    # change a file of chunk a, remove chunk c: a is redone, b skipped, c's outputs disappear
    f = src / "a" / "33RR20080204_mini_hy1.csv"
    lines = f.read_text().splitlines(keepends=True)
    f.write_text(lines[0] + "# edited by the test\n" + "".join(lines[1:]))
    (src / "c" / "a10_33RO20110926_hy1.csv").unlink()
    assert ingest(out, f"cchdo={src}").returncode == 0
    r3 = json.loads((out / "ingest_report.json").read_text())
    assert r3["n_files"] == 3 and r3["n_files_skipped_staging"] == 1 and r3["n_chunks_rewritten"] == 1
    left = {pd.read_parquet(p)["source_file"].iloc[0] for p in out.glob("year=*/*.parquet")}
    assert str(src / "c" / "a10_33RO20110926_hy1.csv") not in left
    assert str(src / "b" / "64PE20050907_hy1.csv") in left


def test_corrupt_file_is_named_and_the_rest_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(REAL / "argo" / "SD5904989_012.nc", src / "SD5904989_012.nc")
    data = (REAL / "argo" / "6903247" / "SR6903247_010.nc").read_bytes()
    (src / "SR6903247_010.nc").write_bytes(data[: len(data) // 2])
    out = tmp_path / "store"
    r = ingest(out, f"argo={src}")
    assert r.returncode == 0
    report = json.loads((out / "ingest_report.json").read_text())
    assert [Path(f["file"]).name for f in report["failed_files"]] == ["SR6903247_010.nc"]
    assert "SR6903247_010.nc" in report["failed_files"][0]["error"]
    assert "SR6903247_010.nc" in r.stderr
    assert good_oxygen_in_store(out, src / "SD5904989_012.nc") == 101
    strict = ingest(out, f"argo={src}", extra=["--strict"])
    assert strict.returncode == 1 and "SR6903247_010.nc" in strict.stderr


def test_bad_source_name_is_a_one_line_error(tmp_path):
    r = ingest(tmp_path / "s", "glodapp=/nowhere")
    assert r.returncode == 2 and "--source" in r.stderr and "Traceback" not in r.stderr


def test_b_file_oxygen_survives_beside_core_file_without_s_file(tmp_path):
    src = tmp_path / "float"
    src.mkdir()
    for n in ("R6903247_001.nc", "BR6903247_001.nc"):
        shutil.copy(REAL / "argo" / "6903247" / n, src / n)
    out = tmp_path / "store"
    assert ingest(out, f"argo={src}").returncode == 0
    report = json.loads((out / "ingest_report.json").read_text())
    by_name = {Path(f["file"]).name: f["counts"] for f in report["files"]}
    assert good_oxygen_in_store(out, src / "BR6903247_001.nc") == by_name["BR6903247_001.nc"]["oxygen"]["accepted"] > 200
    # temperature comes from the core file (the B-file has none)
    assert by_name["R6903247_001.nc"]["temperature"]["accepted"] > 0
    assert by_name["R6903247_001.nc"]["temperature"]["rejected"].get("duplicate", 0) == 0
