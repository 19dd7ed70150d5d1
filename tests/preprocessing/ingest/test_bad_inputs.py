"""Ingest of damaged and awkward inputs through the real ``oxygen-hpc ingest``: a bad file costs that file (or
line) alone, is named, and every value is accounted for; ``--strict`` fails whenever anything was not read
cleanly."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from tests.fixtures import REAL_DATA
from tests.preprocessing.ingest.test_real_files import good_oxygen_in_store, ingest

ARGO = REAL_DATA / "argo"
CCHDO = REAL_DATA / "cchdo"


def report_of(out: Path) -> dict:
    return json.loads((out / "ingest_report.json").read_text())


def store_counts(out: Path) -> dict:
    """Accepted values per (file, variable) as the store holds them."""
    parts = [pd.read_parquet(p) for p in out.glob("year=*/*.parquet")]
    if not parts:
        return {}
    df = pd.concat(parts)
    from oxygen_contracts.schema import VARIABLES

    return {(f, v): int(g[v].notna().sum()) for f, g in df.groupby("source_file") for v in VARIABLES}


def test_truncated_argo_file_fails_and_strict_fails(tmp_path):
    """Cut at 90 %, a netCDF-3 profile file still opened and read zeros: 'ok', inflated counts, strict exit 0."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(ARGO / "SD5904989_012.nc", src / "SD5904989_012.nc")
    data = (ARGO / "6903247" / "SR6903247_010.nc").read_bytes()
    (src / "SR6903247_010.nc").write_bytes(data[: int(len(data) * 0.9)])
    out = tmp_path / "store"
    r = ingest(out, f"argo={src}", extra=["--strict"])
    rep = report_of(out)
    assert [Path(f["file"]).name for f in rep["failed_files"]] == ["SR6903247_010.nc"]
    assert "truncated" in rep["failed_files"][0]["error"] and "SR6903247_010.nc" in r.stderr
    assert r.returncode == 1
    assert rep["totals"]["oxygen"] == {"read": 849, "accepted": 101, "rejected": {"missing": 748}}  # SD only
    assert good_oxygen_in_store(out, src / "SD5904989_012.nc") == 101


def test_identical_files_in_two_folders_are_both_reported_and_counted_once_each(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(CCHDO / "64PE20050907_hy1.csv", tmp_path / sub / "64PE20050907_hy1.csv")
    out = tmp_path / "store"
    r = ingest(out, f"cchdo={tmp_path / 'a'}", f"cchdo={tmp_path / 'b'}")
    assert r.returncode == 0, r.stderr
    rep = report_of(out)
    files = sorted(f["file"] for f in rep["files"])
    assert files == [str(tmp_path / "a" / "64PE20050907_hy1.csv"), str(tmp_path / "b" / "64PE20050907_hy1.csv")]
    stored = store_counts(out)
    for f in rep["files"]:
        for v, c in f["counts"].items():
            assert c["accepted"] == stored.get((f["file"], v), 0), (f["file"], v)
    ox = [f["counts"]["oxygen"] for f in rep["files"]]
    assert ox[0]["read"] == ox[1]["read"] > 0
    assert sum(c["accepted"] for c in ox) == ox[0]["accepted"] + ox[1]["accepted"] == sum(
        n for (f, v), n in stored.items() if v == "oxygen")
    assert sum(c["rejected"].get("duplicate", 0) for c in ox) > 0    # the same casts twice: one copy wins


def test_zip_of_hy1_netcdf_files_ingests(tmp_path):
    zpath = tmp_path / "in" / "31TTTPS24_2_nc_hyd.zip"
    zpath.parent.mkdir()
    data = (CCHDO / "p03a_00199_00001_hy1.nc").read_bytes()
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("p03a_00199_00001_hy1.nc", data)
        zf.writestr("p03a_00200_00001_hy1.nc", data[: len(data) // 2])
    out = tmp_path / "store"
    r = ingest(out, f"cchdo={zpath.parent}", extra=["--strict"])
    rep = report_of(out)
    assert rep["failed_files"] == []
    assert rep["files"][0]["counts"]["oxygen"]["accepted"] == 36
    assert any(p.startswith(f"{zpath}!p03a_00200_00001_hy1.nc") for p in rep["problems"])
    assert r.returncode == 1                                           # a member was not read


def test_empty_file_and_wrong_extension_are_named_accurately(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "empty.csv").write_bytes(b"")
    shutil.copy(REAL_DATA / "geotraces" / "GN01bottpump.csv", src / "GN01bottpump.dat")
    out = tmp_path / "store"
    r = ingest(out, f"geotraces={src}")
    assert r.returncode == 0
    errors = {Path(f["file"]).name: f["error"] for f in report_of(out)["failed_files"]}
    assert "empty file" in errors["empty.csv"]
    assert "not a GEOTRACES" in errors["GN01bottpump.dat"] and "'.dat'" in errors["GN01bottpump.dat"]
    assert not any("reads but does not claim it" in e for e in errors.values())


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temp_files_of_a_killed_run_are_removed_but_not_a_live_runs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(CCHDO / "64PE20050907_hy1.csv", src / "64PE20050907_hy1.csv")
    out = tmp_path / "store"
    assert ingest(out, f"cchdo={src}").returncode == 0
    staging = out / "_staging"
    host = os.uname().nodename
    dead, live = _dead_pid(), os.getpid()
    stale = [staging / f"0123abcd.tmp{dead}", staging / f"0123abcd.json.tmp-{host}-{dead}",
             out / "year=2005" / f"0123abcd.parquet.tmp-{host}-{dead}"]
    keep = [staging / f"4567cdef.tmp-{host}-{live}", staging / f"89abcdef.tmp-otherhost-{dead}"]
    for p in stale + keep:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"partial")
    r = ingest(out, f"cchdo={src}")
    assert r.returncode == 0, r.stderr
    assert [p.exists() for p in stale] == [False] * 3
    assert [p.exists() for p in keep] == [True] * 2


def test_csv_lines_with_a_bad_byte_or_a_non_number_are_counted_unreadable_and_strict_fails(tmp_path):
    """GEOTRACES "abc"/"1e400" and a GLODAP non-UTF-8 byte: the line is lost, counted, named; the file is read."""
    from tests.preprocessing.readers.test_glodap import write_csv

    geo, glo = tmp_path / "geotraces", tmp_path / "glodap"
    geo.mkdir()
    glo.mkdir()
    lines = (REAL_DATA / "geotraces" / "GN01bottpump.csv").read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    col = header.index("CTDOXY_D_CONC_SENSOR_umol_kg_")
    for k, text in ((5, b"abc"), (7, b"1e400")):
        fields = lines[k].split(b",")
        fields[col] = text
        lines[k] = b",".join(fields)
    (geo / "GN01bottpump.csv").write_bytes(b"\n".join(lines))
    write_csv(glo / "GLODAPv2_small.csv", 200, seed=11)
    g = (glo / "GLODAPv2_small.csv").read_bytes().split(b"\n")
    g[50] = g[50].replace(b"33RO", b"33\xffO", 1)
    (glo / "GLODAPv2_small.csv").write_bytes(b"\n".join(g))
    out = tmp_path / "store"
    r = ingest(out, f"geotraces={geo}", f"glodap={glo}", extra=["--strict"])
    assert r.returncode == 1 and "--strict: failing because of the errors above" in r.stderr
    rep = report_of(out)
    assert rep["failed_files"] == []
    by = {Path(f["file"]).name: f for f in rep["files"]}
    assert by["GN01bottpump.csv"]["counts"]["oxygen"]["rejected"]["unreadable"] == 2
    assert by["GLODAPv2_small.csv"]["counts"]["oxygen"]["rejected"]["unreadable"] == 1
    assert by["GLODAPv2_small.csv"]["counts"]["oxygen"]["read"] == 200
    assert any("line 6" in p and "'abc'" in p for p in by["GN01bottpump.csv"]["problems"])
    assert any("line 51" in p and "UTF-8" in p for p in by["GLODAPv2_small.csv"]["problems"])
