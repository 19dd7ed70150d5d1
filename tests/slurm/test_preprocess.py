"""slurm/preprocess.sh runs ingest + partition of a small synthetic ocean with Dask workers as Slurm jobs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
SOURCES = ("wod", "cchdo", "argo", "glodap", "geotraces")
pytestmark = [pytest.mark.slurm, pytest.mark.timeout(900)]


def test_preprocess_sh_ingests_and_partitions_through_slurmcluster_workers(tmp_path):
    ocean = tmp_path / "ocean"
    r = subprocess.run([EXE, "synth", "--config", str(ROOT / "configs/synthetic/tiny.yaml"), "--out", str(ocean),
                        "--seed", "5", "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    logs = tmp_path / "worker-logs"
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(yaml.safe_dump({"kind": "slurm", "slurm": {
        "cores": 1, "processes": 1, "memory": "3GiB", "walltime": "00:15:00", "jobs": 2,
        "job_extra_directives": ["--job-name=oxy-prep-test"], "local_directory": str(tmp_path / "scratch"),
        "log_directory": str(logs), "wait_for_workers_s": 120}}))
    config = tmp_path / "preprocess.yaml"
    base = yaml.safe_load((ROOT / "configs/preprocess/tiny.yaml").read_text())
    base.update(store=str(tmp_path / "store"), cluster=str(cluster))
    base["ingest"] = {"sources": {s: [str(ocean / s)] for s in SOURCES}}
    base["partition"].update(covariates=str(ocean / "covariates.nc"), out=str(tmp_path / "parts"))
    config.write_text(yaml.safe_dump(base))
    env = dict(os.environ, CONFIG=str(config), CLUSTER=str(cluster), OXYGEN_HPC_BIN=EXE)
    r = subprocess.run(["bash", str(ROOT / "slurm" / "preprocess.sh")], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=800)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    report = json.loads((tmp_path / "store" / "ingest_report.json").read_text())
    assert report["n_files"] > 100 and report["totals"]["oxygen"]["accepted"] > 1000
    manifest = json.loads((tmp_path / "parts" / "manifest.json").read_text())
    assert manifest["complete"] and manifest["totals"]["partitions"] > 0 and manifest["totals"]["labelled"] > 0
    worker_logs = list(logs.glob("*"))
    assert worker_logs, "no Dask worker ran as a Slurm job"
    assert any("oxy-prep-test" in p.name or "Start worker" in p.read_text(errors="replace") for p in worker_logs)
    check = subprocess.run([EXE, "check", str(tmp_path / "parts")], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
