"""The synthetic ocean's files ingest, and every fault it injected is caught (counts match its summary)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
SOURCES = ("wod", "cchdo", "argo", "glodap", "geotraces")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("osse")
    ocean, store = root / "ocean", root / "store"
    r = subprocess.run([EXE, "synth", "--config", str(REPO / "configs/synthetic/tiny.yaml"), "--out", str(ocean),
                        "--seed", "3"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([EXE, "ingest", "--out", str(store), "--workers", "2",
                        *[f"--source={s}={ocean / s}" for s in SOURCES]], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    summary = json.loads((ocean / "summary.json").read_text())
    report = json.loads((store / "ingest_report.json").read_text())
    return ocean, store, summary, report, r


def test_injected_faults_are_all_caught(ingested):
    _, _, summary, report, _ = ingested
    faults = summary["injected_faults"]
    rej = report["totals"]["oxygen"]["rejected"]
    flagged = sum(n for r, n in rej.items() if r.startswith("source_flag"))
    assert flagged == faults["bad_flag"]
    assert rej.get("range", 0) + rej.get("supersaturation", 0) == faults["outlier"]
    assert rej.get("supersaturation", 0) == faults["outlier_kinds"]["supersaturation"]
    assert rej.get("duplicate", 0) == faults["duplicate"]
    assert rej.get("missing", 0) == faults["missing"]
    lost_lines = sum(c["oxygen_values_lost"] for c in faults["corrupt_files"] if c["kind"] == "malformed_line")
    assert rej.get("unreadable", 0) == lost_lines


def test_corrupt_files_are_named(ingested):
    ocean, _, summary, report, r = ingested
    failed = {Path(f["file"]).relative_to(ocean).as_posix() for f in report["failed_files"]}
    whole = {c["file"] for c in summary["injected_faults"]["corrupt_files"] if c["kind"] != "malformed_line"}
    assert failed == whole
    for c in summary["injected_faults"]["corrupt_files"]:
        assert c["file"].split("/")[-1] in r.stderr
        if c["kind"] == "malformed_line":
            assert any(c["file"] in p and c["where"] in p for p in report["problems"])


def test_every_written_oxygen_value_is_accounted_for(ingested):
    """Per source: read = what synth wrote (+ values on malformed lines); in all, accepted = the fault-free entries
    (per source it depends on which copy of a duplicated cast the priority keeps)."""
    _, _, summary, report, _ = ingested
    for source in SOURCES:
        got = report["sources"][source]["oxygen"]
        unreadable = got["rejected"].get("unreadable", 0)
        assert got["read"] - unreadable == summary["observations"][source], source
    assert report["totals"]["oxygen"]["accepted"] == sum(summary["observations_good"].values())


def test_ml_per_l_values_come_out_near_truth(ingested):
    ocean, store, summary, _, _ = ingested
    assert summary["injected_faults"]["mll_units"] > 0
    import xarray as xr

    from oxygen_contracts.grid import GridSpec

    truth = xr.open_dataset(ocean / "truth.nc")
    df = pd.concat([pd.read_parquet(p) for p in sorted(store.glob("year=*/*.parquet"))], ignore_index=True)
    df = df[df["source"] == "wod"].dropna(subset=["oxygen"])
    years = sorted(set(df["time"].dt.year))[:3]
    df = df[df["time"].dt.year.isin(years)]
    g = GridSpec(resolution_deg=float(truth.attrs["resolution_deg"]), depth_levels=tuple(truth["depth"].values),
                 year_start=int(truth.attrs["year_start"]), year_end=int(truth.attrs["year_end"]))
    k, j, i = g.locate(df["lat"], df["lon"], df["depth"])
    t = df["time"].dt.year.to_numpy() - g.year_start
    o2 = truth["o2"].values[t, k, j, i]
    err = (df["oxygen"].to_numpy() - o2)
    ok = pd.notna(o2)
    assert ok.sum() > 10
    assert abs(pd.Series(err[ok]).median()) < 15     # µmol/kg; a ml/l value unconverted would be ~40x off
