"""`sbatch slurm/train.sh` trains for real on the dev cluster; SIGUSR1 → checkpoint, requeue, exact resume."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import torch
import yaml

from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.pipeline import run
from tests.fixtures import toy

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "slurm" / "train.sh"
DEV = ["--nodes=1", "--ntasks-per-node=1", "--gpus-per-node=0", "--cpus-per-task=1", "--time=00:10:00"]
pytestmark = [pytest.mark.slurm]


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    d = tmp_path_factory.mktemp("slurm_parts")
    _, _, cov, store = toy.tiny_case(d, years=(2000, 2005), store_years=(1995, 2010), rows=300, seed=2)
    run(PartitionConfig(covariates=str(cov), out=str(d / "parts"), zones_lon=2, zones_lat=2), str(store), workers=1,
        progress=False)
    return d / "parts"


def _config(tmp_path: Path, parts: Path, epochs: int) -> Path:
    cfg = yaml.safe_load((ROOT / "configs/train/tiny.yaml").read_text())
    cfg["trainer"].update(max_epochs=epochs)
    cfg["data"]["init_args"].update(root=str(parts), batch_size=1)
    cfg["model"]["init_args"]["model"]["init_args"].update(hidden=8, hyper_hidden=8, edge_hidden=4)
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _submit(tmp_path: Path, config: Path, run_dir: Path) -> str:
    env = dict(os.environ, CONFIG=str(config), RUN_DIR=str(run_dir), ACCELERATOR="cpu")
    r = subprocess.run(["sbatch", "--parsable", *DEV, str(TRAIN)], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60, check=True)
    return r.stdout.strip().split(";")[0]


def _state(job: str) -> str:
    r = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True)
    for tok in r.stdout.split():
        if tok.startswith("JobState="):
            return tok.split("=", 1)[1]
    return "GONE"


def _wait(job: str, until, timeout: float, what: str, poll: float = 0.5):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = _state(job)
        if until(s):
            return s
        time.sleep(poll)
    raise AssertionError(f"job {job}: timed out waiting for {what} (state {_state(job)})")


def _weights(ckpt: Path) -> dict:
    return torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]


def _log(tmp_path, job, run_dir) -> str:
    files = [tmp_path / f"oxygen-fit-{job}.out", *sorted((run_dir / "logs").glob("*.out"))]
    return "\n".join(f.read_text() for f in files if f.exists())[-5000:]


@pytest.mark.timeout(300)
def test_sbatch_train_tiny_completes_with_last_checkpoint(tmp_path, parts):
    run_dir = tmp_path / "run"
    job = _submit(tmp_path, _config(tmp_path, parts, epochs=1), run_dir)
    state = _wait(job, lambda s: s in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "GONE"), 240, "the end")
    assert state in ("COMPLETED", "GONE"), _log(tmp_path, job, run_dir)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file(), _log(tmp_path, job, run_dir)
    assert (run_dir / "metrics.json").is_file()


@pytest.mark.timeout(600)
def test_usr1_requeues_and_resumes_to_the_uninterrupted_weights(tmp_path, parts):
    config = _config(tmp_path, parts, epochs=4)
    # the reference: the same config, uninterrupted, outside Slurm
    ref = tmp_path / "ref"
    exe = str(Path(os.environ.get("OXYGEN_HPC_BIN", "")) if os.environ.get("OXYGEN_HPC_BIN") else
              Path(__import__("sys").executable).with_name("oxygen-hpc"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    r = subprocess.run([exe, "fit", "--config", str(config), f"--trainer.default_root_dir={ref}"], env=env,
                       capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stderr[-3000:]

    run_dir = tmp_path / "run"
    job = _submit(tmp_path, config, run_dir)
    # preempt in the second epoch: after the first epoch's last.ckpt exists
    t0 = time.monotonic()
    while not (run_dir / "checkpoints" / "last.ckpt").exists():
        assert time.monotonic() - t0 < 240 and _state(job) in ("PENDING", "RUNNING", "CONFIGURING"), \
            _log(tmp_path, job, run_dir)
        time.sleep(0.2)
    time.sleep(1.0)
    subprocess.run(["scancel", "--signal=USR1", job], check=True)
    _wait(job, lambda s: s in ("PENDING", "REQUEUED", "REQUEUE_HOLD"), 120, "the requeue")
    assert list(run_dir.glob("hpc_ckpt_*.ckpt")), _log(tmp_path, job, run_dir)
    subprocess.run(["scontrol", "update", f"jobid={job}", "starttime=now"], check=True)
    state = _wait(job, lambda s: s in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "GONE"), 400, "the end")
    log = _log(tmp_path, job, run_dir)
    assert state in ("COMPLETED", "GONE"), log
    assert "restart 1" in log                                   # the requeued job ran train.sh again
    a, b = _weights(ref / "checkpoints" / "last.ckpt"), _weights(run_dir / "checkpoints" / "last.ckpt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    rid = (run_dir / "wandb_run_id").read_text().strip()
    assert {p.name for p in run_dir.rglob("run-*.wandb")} == {f"run-{rid}.wandb"}   # one W&B run in total


@pytest.mark.timeout(600)
def test_sweep_of_four_real_trainings_is_one_job_array(tmp_path, parts):
    import json
    import sys

    base = _config(tmp_path, parts, epochs=1)
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "tiny-real", "method": "grid", "base_config": str(base),
        "metric": {"name": "val/rmse", "goal": "minimize"},
        "sbatch": ["--cpus-per-task=1", "--time=00:10:00"],
        "parameters": {"model.init_args.model.init_args.hidden": {"values": [8, 16]},
                       "model.init_args.lam": {"values": [0.0, 0.1]}}}))
    exe = str(Path(sys.executable).with_name("oxygen-hpc"))
    d = tmp_path / "sweep"
    r = subprocess.run([exe, "sweep", str(spec), "--dir", str(d), "--submit", "--parallel", "2"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    import re

    job = re.search(r"submitted job array (\d+)", r.stdout).group(1)
    t0 = time.monotonic()
    while subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True).stdout.strip():
        assert time.monotonic() - t0 < 500, "sweep array did not finish"
        time.sleep(1)
    rep = subprocess.run([exe, "sweep", "report", str(d)], capture_output=True, text=True, timeout=60)
    assert rep.returncode == 0, rep.stderr
    assert "4 runs, 4 ok" in rep.stdout, rep.stdout
    import csv

    rows = list(csv.DictReader((d / "report.csv").open()))
    assert sorted(int(r["run"]) for r in rows) == [0, 1, 2, 3] and {r["state"] for r in rows} == {"ok"}
    rmse = [float(r["val/rmse"]) for r in rows]
    assert rmse == sorted(rmse)                                   # best first
    for i in range(4):
        m = json.loads((d / "runs" / str(i) / "metrics.json").read_text())
        assert (d / "runs" / str(i) / "checkpoints" / "last.ckpt").is_file()
        assert m["val/rmse"] == pytest.approx(float(next(r for r in rows if r["run"] == str(i))["val/rmse"]), rel=1e-5)
