"""Fuzz through the real ``oxygen-hpc ingest --strict``: every damaged file of the fuzz cases plus an undamaged copy
of every seed, all in one ingest. The damaged files cost themselves alone: the undamaged copies are read in full;
every file is in the report, a failed one with an error naming it (never an escaped exception), an accepted one
with counts that reconcile and agree with the store and problems that name it; every detectable damage is a failure
or a problem; and ``--strict`` fails.

The ERDDAP seed is left out here (its reader is fuzzed in test_fuzz_readers): each copy of its 1,231 profiles makes
the within-source duplicate search cost seconds per year, which would dominate this test.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from oxygen_contracts.schema import VARIABLES
from preprocessing.readers.registry import route
from tests.preprocessing.fuzz.mutate import SEEDS, cases, copy_seed

EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
ESCAPED = re.compile(r"\(at [\w.]+\.py:\d+\)$")     # how ingest records an exception that is not a ReaderError
OUR_FRAME = re.compile(r'File ".*/(preprocessing|oxygen_hpc|oxygen_contracts)/')   # a traceback through our code
IN_CLI = [s for s in SEEDS if s.name != "argo_erddap"]


def _read_alone(source: str, path: Path) -> tuple[dict, list[str]]:
    """Values per variable the reader reads from an undamaged file and its own problems (what the report must say
    of it whatever else the ingest holds)."""
    mod = route(source, str(path))
    if mod is None:
        return {}, ["no reader claims it"]
    res = mod.read(str(path))
    read = {v: int((res.rows[v + "_reason"].astype(str) != "absent").sum()) + int(res.lost_values.get(v, 0))
            for v in VARIABLES}
    return read, [str(p) for p in res.problems]


@pytest.fixture(scope="module")
def fuzz_ingest(fuzz_files, tmp_path_factory):
    expect = {}
    root = fuzz_files.root
    inputs = tmp_path_factory.mktemp("fuzz_inputs")
    for c in cases():
        if c.seed in IN_CLI:
            path, unclean = fuzz_files(c)
            dst = inputs / path.relative_to(root)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.hardlink_to(path)
            expect[str(dst)] = unclean
    good = {}
    for s in IN_CLI:
        p = copy_seed(s, inputs / s.source / "good" / s.name, root)
        good[str(p)] = _read_alone(s.source, p)
    out = tmp_path_factory.mktemp("fuzz_store") / "store"
    sources = sorted({s.source for s in IN_CLI})
    r = subprocess.run([EXE, "ingest", "--strict", "--workers", "1", "--out", str(out),
                        *[f"--source={s}={inputs / s}" for s in sources]], capture_output=True, text=True,
                       timeout=600)
    return r, json.loads((out / "ingest_report.json").read_text()), out, expect, good


def test_strict_fails_and_nothing_escapes(fuzz_ingest):
    r, report, _, expect, good = fuzz_ingest
    assert r.returncode == 1 and "--strict: failing because of the errors above" in r.stderr, r.stderr[-2000:]
    assert not OUR_FRAME.search(r.stderr), r.stderr[-3000:]        # (Dask may log its own heartbeat tracebacks)
    assert sorted(f["file"] for f in report["files"]) == sorted([*expect, *good])
    for f in report["failed_files"]:
        assert f["file"] in f["error"] and not ESCAPED.search(f["error"]), f["error"]


def test_every_file_is_named_accounted_and_its_damage_reported(fuzz_ingest):
    _, report, _, expect, _ = fuzz_ingest
    for f in report["files"]:
        name = Path(f["file"]).name
        assert all(name in p for p in f["problems"]), f["file"]
        if f["status"] == "ok":
            for v, c in f["counts"].items():
                assert c["read"] == c["accepted"] + sum(c["rejected"].values()), (f["file"], v)
        if expect.get(f["file"]):
            assert f["status"] != "ok" or f["problems"], f"{f['file']}: damage read as clean"


def test_undamaged_copies_are_read_in_full(fuzz_ingest):
    _, report, _, _, good = fuzz_ingest
    by_file = {f["file"]: f for f in report["files"]}
    for path, (read, problems) in good.items():
        f = by_file[path]
        assert f["status"] == "ok" and f["problems"] == problems, path
        assert {v: c["read"] for v, c in f["counts"].items()} == read, path


def test_store_holds_what_the_report_accepts(fuzz_ingest):
    _, report, out, _, _ = fuzz_ingest
    df = pd.concat([pd.read_parquet(p) for p in out.glob("year=*/*.parquet")])
    stored = {(k, v): int(g[v].notna().sum()) for k, g in df.groupby("source_file") for v in VARIABLES}
    for f in report["files"]:
        if f["status"] == "ok":
            for v, c in f["counts"].items():
                assert c["accepted"] == stored.get((f["file"], v), 0), (f["file"], v)
