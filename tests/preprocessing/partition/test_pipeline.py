"""End to end on Dask: determinism across workers and re-runs, resume after a kill, `check`."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from oxygen_contracts import schema
from preprocessing.partition import check
from preprocessing.partition.config import PartitionConfig, load_job
from preprocessing.partition.pipeline import run
from tests.fixtures import toy

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    grid, ocean, cov, store = toy.tiny_case(d, years=(2000, 2003), store_years=(1996, 2006))
    return grid, ocean, str(cov), str(store)


def files(out):
    return {p.name: p.read_bytes() for p in sorted(Path(out).iterdir()) if p.name != ".lock"}


def cfg_for(cov, out, **kw):
    return PartitionConfig(covariates=cov, out=str(out), zones_lon=2, zones_lat=2, **kw)


@pytest.mark.timeout(120)
def test_one_vs_two_workers_identical_and_rerun_skips(inputs, tmp_path):
    grid, ocean, cov, store = inputs
    s1 = run(cfg_for(cov, tmp_path / "a"), store, workers=1, progress=False)
    s2 = run(cfg_for(cov, tmp_path / "b"), store, workers=2, progress=False)
    assert s1.written == 4 and s2.written == 4
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert sorted(a) == ["manifest.json"] + [schema.year_file(y) for y in range(2000, 2004)]
    assert a == b
    man = json.loads(a["manifest.json"])
    assert man["totals"]["owned"] == 4 * int(ocean.sum())
    assert {p["zone"] for p in man["partitions"]} == {0, 1, 2, 3}
    with h5py.File(tmp_path / "a" / "year=2001.h5") as f:
        assert f.attrs["schema_version"] == schema.SCHEMA_VERSION
        g = f["zone=00"]
        assert all(k in g for k in schema.PARTITION_DATASETS)
        assert g["edge_index"].dtype == np.int32 and g["x"].dtype == np.float32
        assert g["owned"][()].sum() == g.attrs["n_owned"]
    again = run(cfg_for(cov, tmp_path / "a"), store, workers=1, progress=False)
    assert again.written == 0 and again.skipped == 4 and files(tmp_path / "a") == a
    # a corrupted file is rewritten, the others are reused
    p = tmp_path / "a" / "year=2002.h5"
    p.write_bytes(p.read_bytes()[:-10])
    fixed = run(cfg_for(cov, tmp_path / "a"), store, workers=1, progress=False)
    assert fixed.written == 1 and files(tmp_path / "a") == a


@pytest.mark.timeout(150)
def test_kill_midrun_then_rerun_is_identical(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    _, _, cov, store = toy.tiny_case(d, years=(1980, 2019), store_years=(1980, 2019), rows=20)
    cmd = [sys.executable, "-m", "oxygen_hpc.cli", "partition", "--covariates", str(cov), "--store", str(store),
           "--workers", "1", "--no-progress"]
    ref = tmp_path / "ref"
    subprocess.run(cmd + ["--out", str(ref)], check=True, cwd=ROOT, capture_output=True, timeout=120)
    out = tmp_path / "out"
    proc = subprocess.Popen(cmd + ["--out", str(out)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while not list(out.glob("year=*.h5")) and time.time() - t0 < 90:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = list(out.glob("year=*.h5"))
    assert 0 < len(done) < 40, "the run was not interrupted mid-way"
    (out / "year=2019.h5.tmp.999").write_bytes(b"partial")         # a stale temp file
    (out / "year=2018.h5").write_bytes(b"truncated")               # a partial file under the final name
    r = subprocess.run(cmd + ["--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "manifest.json" in r.stdout
    assert files(out) == files(ref)


@pytest.mark.timeout(120)
def test_check_names_corrupt_and_missing(inputs, tmp_path, capsys):
    _, _, cov, store = inputs
    out = tmp_path / "p"
    run(cfg_for(cov, out), store, workers=1, progress=False)
    assert check.main([str(out)]) == 0
    b = bytearray((out / "year=2001.h5").read_bytes())
    b[len(b) // 2: len(b) // 2 + 8] = b"\xff" * 8
    (out / "year=2001.h5").write_bytes(bytes(b))
    (out / "year=2003.h5").unlink()
    capsys.readouterr()
    assert check.main([str(out)]) == 1
    text = capsys.readouterr().out
    assert "year=2001.h5: sha256 does not match" in text
    assert "year=2003.h5: missing" in text
    assert "year=2000.h5" not in text and "year=2002.h5" not in text


def test_check_finds_broken_halo_and_edges(inputs, tmp_path):
    _, _, cov, store = inputs
    out = tmp_path / "p"
    run(cfg_for(cov, out), store, workers=1, progress=False)
    man = json.loads((out / "manifest.json").read_text())
    entry = man["files"][0]
    parts = [p for p in man["partitions"] if p["year"] == entry["year"]]
    with h5py.File(out / entry["file"], "r+") as f:      # drop one halo edge and make x non-finite
        g = f["zone=01"]
        ei = g["edge_index"][()]
        owned = g["owned"][()]
        k = int(np.flatnonzero(owned[ei[1]])[0])
        ei[0, k] = ei[1, k]                                # rewire an owned node's in-edge to a self-loop
        g["edge_index"][...] = ei
        x = g["x"][()]
        x[0, 0] = np.nan
        g["x"][...] = x
    problems = check.check_file(out, entry, parts, man)
    assert any("zone=01/x: non-finite" in p for p in problems)
    assert any("zone=01" in p and "in-edge" in p for p in problems)


def test_load_job_reads_partition_block_and_ignores_ingest(tmp_path):
    y = tmp_path / "p.yaml"
    y.write_text("cluster: configs/cluster/local.yaml\nstore: st\ningest: {sources: [wod], anything: 1}\n"
                 "partition:\n  covariates: c.nc\n  layers: 3\n  folds: {scheme: year_zone, n_folds: 4}\n")
    job = load_job(str(y), {"out": "o"})
    assert job.store == "st" and job.cluster == "configs/cluster/local.yaml"
    assert job.partition.layers == 3 and job.partition.folds.scheme == "year_zone" and job.partition.out == "o"
    y.write_text("partition:\n  folds: {scheme: nope}\n")
    with pytest.raises(Exception, match="partition.folds.scheme"):
        load_job(str(y))
