"""slurm/train.sh: a wrong layout fails in seconds with the reason in the log; a right one srun's every rank."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from oxygen_hpc.training.layout import LayoutError, check_layout, tasks_per_node

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "slurm" / "train.sh"
DEV = ["--nodes=1", "--gpus-per-node=0", "--cpus-per-task=1", "--time=00:05:00"]  # fits the 2-core dev node


def _config(tmp_path, **trainer) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    cfg = tmp_path / "train.yaml"
    cfg.write_text(yaml.safe_dump({"trainer": {"max_epochs": 1, **trainer},
                                   "data": {"init_args": {"root": str(tmp_path / "data")}}}))
    return cfg


def _problems(*args, **kw) -> list[str]:
    with pytest.raises(LayoutError) as e:
        check_layout(*args, **kw)
    return e.value.problems


def test_tasks_per_node_from_slurm_variables():
    assert tasks_per_node({"SLURM_NTASKS_PER_NODE": "4"}) == 4
    assert tasks_per_node({"SLURM_TASKS_PER_NODE": "8(x2)"}) == 8
    assert tasks_per_node({"SLURM_NTASKS": "6", "SLURM_NNODES": "3"}) == 2
    assert tasks_per_node({}) is None


def test_layout_problems_are_named(tmp_path):
    cfg = _config(tmp_path)
    env = {"SLURM_NTASKS_PER_NODE": "2", "SLURM_NNODES": "1"}
    ok = check_layout(str(cfg), run_dir=str(tmp_path / "run"), accelerator="cpu", env=env)
    assert ok["devices"] == 2 and (tmp_path / "run").is_dir()
    [p] = _problems(str(cfg), accelerator="cpu", devices=1, env=env)
    assert "2 Slurm tasks per node but devices=1" in p
    [p] = _problems(str(cfg), accelerator="gpu", env={**env, "CUDA_VISIBLE_DEVICES": "0"})
    assert "1 GPU(s) visible" in p and "CUDA_VISIBLE_DEVICES='0'" in p and "2 task(s) per node" in p
    [p] = _problems(str(tmp_path / "nope.yaml"), accelerator="cpu", env=env)
    assert "nope.yaml not readable" in p
    (tmp_path / "data").rmdir()
    [p] = _problems(str(cfg), accelerator="cpu", env=env)
    assert f"data root {tmp_path / 'data'}" in p and "does not exist" in p
    (tmp_path / "afile").write_text("")
    probs = _problems(str(cfg), run_dir=str(tmp_path / "afile" / "run"), accelerator="cpu", env=env)
    assert any("run directory" in p and "not writable" in p for p in probs)
    [p] = _problems(str(_config(tmp_path, devices=4)), accelerator="cpu", env=env)
    assert "devices=4" in p  # the config's trainer.devices is what would be requested


def _sbatch(tmp_path, flags: list[str], **env) -> tuple[int, float, str, Path]:
    """(exit code, seconds from submission to the end, Slurm's log, the run's log). Polled every 0.5 s: `sbatch
    --wait` polls ever more slowly (a 12 s job on a loaded machine read as 42 s)."""
    from .jobs import show, wait_end

    run_dir = tmp_path / "run"
    e = dict(os.environ, CONFIG=str(_config(tmp_path)), RUN_DIR=str(run_dir), **env)
    t0 = time.monotonic()
    r = subprocess.run(["sbatch", "--parsable", *DEV, *flags, str(TRAIN)], cwd=tmp_path, env=e,
                       capture_output=True, text=True, timeout=60, check=True)
    job = r.stdout.strip().split(";")[0]
    wait_end(job, e, 110)
    took = time.monotonic() - t0
    rc = int(show(job, e).get("ExitCode", "-1:0").split(":")[0])
    slurm_log = (tmp_path / f"oxygen-fit-{job}.out").read_text()
    return rc, took, slurm_log, run_dir / "logs" / f"train-{job}.out"


@pytest.mark.slurm
@pytest.mark.timeout(120)
def test_tasks_devices_mismatch_fails_fast(tmp_path):
    rc, took, log, run_log = _sbatch(tmp_path, ["--ntasks-per-node=2"], ACCELERATOR="cpu", DEVICES="1")
    assert rc == 2 and took < 30
    line = "layout error: 2 Slurm tasks per node but devices=1 requested"
    assert line in log and line in run_log.read_text()


@pytest.mark.slurm
@pytest.mark.timeout(120)
def test_gpu_on_a_cpu_node_fails_fast(tmp_path):
    rc, took, log, _ = _sbatch(tmp_path, ["--ntasks-per-node=1"], ACCELERATOR="gpu")
    assert rc == 2 and took < 30
    assert "layout error: ACCELERATOR=gpu but 0 GPU(s) visible" in log


@pytest.mark.slurm
@pytest.mark.timeout(120)
def test_good_layout_sruns_one_rank_per_device(tmp_path):
    fake = tmp_path / "fake-oxygen-hpc"  # stands in for `oxygen-hpc`: records what each rank was given
    fake.write_text("#!/usr/bin/env python3\nimport json, os, sys\n"
                    f"open('{tmp_path}/rank' + os.environ['SLURM_PROCID'] + '.json', 'w')"
                    ".write(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    rc, _, log, run_log = _sbatch(tmp_path, ["--ntasks-per-node=2"], ACCELERATOR="cpu", OXYGEN_HPC_BIN=str(fake))
    assert rc == 0, log
    expected = ["fit", "--config", str(tmp_path / "train.yaml"), "--trainer.num_nodes=1", "--trainer.devices=2",
                f"--trainer.default_root_dir={tmp_path / 'run'}", "--trainer.accelerator=cpu"]
    for rank in (0, 1):
        assert json.loads((tmp_path / f"rank{rank}.json").read_text()) == expected
    assert "layout ok: 1 node(s) x 2 task(s), devices=2, accelerator=cpu" in run_log.read_text()
