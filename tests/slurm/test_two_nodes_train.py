"""`sbatch --nodes=2 slurm/train.sh` on the two-node dev cluster (CPU, gloo): one DDP run of world size 2 across the
nodes, with one W&B run and one set of checkpoints; SIGUSR1 → checkpoint → requeue → resume ends with the weights of
the uninterrupted run; a rank killed on one node ends the whole job within a minute; a resume on another world
size stops at once, saying what to do."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
import yaml

from .jobs import ROOT, log, sbatch, show, state, task_pids, wait, wait_end, weights

TRAIN = ROOT / "slurm" / "train.sh"
TWO = ["--nodes=2", "--ntasks-per-node=1", "--gpus-per-node=0", "--cpus-per-task=1", "--time=00:10:00"]
pytestmark = [pytest.mark.slurm]


def _config(path: Path, parts: Path, epochs: int) -> Path:
    cfg = yaml.safe_load((ROOT / "configs/train/tiny.yaml").read_text())
    cfg["trainer"].update(max_epochs=epochs, strategy="ddp")       # as the cluster configs (base/trainer_gpu.yaml)
    cfg["data"]["init_args"].update(root=str(parts), batch_size=1)
    cfg["model"]["init_args"]["model"]["init_args"].update(hidden=8, hyper_hidden=8, edge_hidden=4)
    path.write_text(yaml.safe_dump(cfg))
    return path


def _submit(cwd: Path, env: dict, config: Path, run_dir: Path, flags=TWO) -> str:
    return sbatch([*flags, str(TRAIN)], dict(env, CONFIG=str(config), RUN_DIR=str(run_dir), ACCELERATOR="cpu"), cwd)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("two_nodes_train")


@pytest.fixture(scope="module")
def config(work, parts2) -> Path:
    return _config(work / "train.yaml", parts2, epochs=3)


@pytest.fixture(scope="module")
def submitted(work, config, two_nodes_env) -> dict:
    """The uninterrupted reference run and the run to preempt, submitted together (each takes one CPU of each
    node, so they run side by side): {name: (job id, run directory, submission time)}."""
    t0 = time.monotonic()
    return {name: (_submit(work, two_nodes_env, config, work / name), work / name, t0)
            for name in ("reference", "requeued")}


@pytest.fixture(scope="module")
def reference(work, submitted, two_nodes_env) -> tuple[str, Path, float]:
    """The uninterrupted two-node run, finished: (job id, run directory, seconds from submission to the end)."""
    job, run_dir, t0 = submitted["reference"]
    st = wait_end(job, two_nodes_env, 400)
    assert st in ("COMPLETED", "GONE"), log(work, job, run_dir)[-5000:]
    return job, run_dir, time.monotonic() - t0


@pytest.mark.timeout(600)
def test_two_nodes_usr1_requeue_resume_ends_with_the_uninterrupted_weights(work, submitted, two_nodes_env):
    env = two_nodes_env
    job, run_dir, t0 = submitted["requeued"]
    while not (run_dir / "checkpoints" / "last.ckpt").exists():      # preempt after the first epoch
        assert time.monotonic() - t0 < 300 and state(job, env) in ("PENDING", "RUNNING", "CONFIGURING"), \
            log(work, job, run_dir)[-5000:]
        time.sleep(0.2)
    time.sleep(1.0)
    subprocess.run(["scancel", "--signal=USR1", job], check=True, env=env)
    wait(job, env, lambda s: s in ("PENDING", "REQUEUED", "REQUEUE_HOLD"), 120, "the requeue")
    assert list(run_dir.glob("hpc_ckpt_*.ckpt")), log(work, job, run_dir)[-5000:]
    subprocess.run(["scontrol", "update", f"jobid={job}", "starttime=now"], check=True, env=env)
    st = wait_end(job, env, 400)
    text = log(work, job, run_dir)
    assert st in ("COMPLETED", "GONE"), text[-5000:]
    assert "restart 1" in text and "Starting with 2 processes" in text
    ref_job, ref_dir, t0 = submitted["reference"]
    assert wait_end(ref_job, env, 400) in ("COMPLETED", "GONE"), log(work, ref_job, ref_dir)[-5000:]
    a, b = weights(ref_dir / "checkpoints" / "last.ckpt"), weights(run_dir / "checkpoints" / "last.ckpt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    rid = (run_dir / "wandb_run_id").read_text().strip()
    assert {p.name for p in run_dir.rglob("run-*.wandb")} == {f"run-{rid}.wandb"}
    print(f"two-node reference and requeued runs side by side: {time.monotonic() - t0:.0f} s from sbatch to the end")


@pytest.mark.timeout(500)
def test_two_nodes_train_one_run_of_world_size_two(work, reference, two_nodes_env):
    job, run_dir, took = reference
    text = log(work, job, run_dir)
    info = show(job, two_nodes_env)
    if info:                                        # still known to slurmctld (MinJobAge 300 s)
        assert info["NumNodes"] == "2" and info["NodeList"].endswith("-n[1-2]"), info
    assert "2 node(s) x 1 task(s)" in text
    assert "Starting with 2 processes" in text and "MEMBER: 2/2" in text       # one DDP group across the nodes
    ckpts = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert len(ckpts) == 2 and "last.ckpt" in ckpts and ckpts[0].startswith("best-"), ckpts   # one set, rank 0's
    rid = (run_dir / "wandb_run_id").read_text().strip()
    assert {p.name for p in run_dir.rglob("run-*.wandb")} == {f"run-{rid}.wandb"}              # one W&B run
    print(f"two-node reference run: {took:.0f} s from sbatch to the end (beside the requeued run)")


@pytest.mark.timeout(400)
def test_a_rank_killed_on_one_node_ends_the_whole_job_within_a_minute(work, parts2, two_nodes_env):
    env = two_nodes_env
    run_dir = work / "killed"
    job = _submit(work, env, _config(work / "long.yaml", parts2, epochs=200), run_dir)
    t0 = time.monotonic()
    while not (run_dir / "checkpoints" / "last.ckpt").exists():      # both ranks are in the training loop
        assert time.monotonic() - t0 < 300 and state(job, env) in ("PENDING", "RUNNING", "CONFIGURING"), \
            log(work, job, run_dir)[-5000:]
        time.sleep(0.2)
    pids = task_pids(job, 1)                                          # rank 1, on the second node
    assert pids, "rank 1 not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)                                  # as the OOM killer or a dying node would
    t_kill = time.monotonic()
    st = wait_end(job, env, 120)
    took = time.monotonic() - t_kill
    text = log(work, job, run_dir)
    assert st == "FAILED", (st, text[-3000:])
    assert took < 60, f"the job took {took:.0f} s to end after rank 1 died"
    assert "-n2: task 1: Killed" in text, text[-3000:]                # what the user sees: srun names the task
    print(f"two-node job ended {took:.1f} s after rank 1 was killed")


@pytest.mark.timeout(300)
def test_resume_on_another_world_size_stops_at_once_saying_what_to_do(work, config, reference, two_nodes_env):
    """The run directory of the two-node run, resumed by a one-node job (world size 1): refused before training
    (training/resume.py), with the layout the run had; the checkpoint is left as it was."""
    env = two_nodes_env
    run_dir = work / "other_world"
    shutil.copytree(reference[1], run_dir)
    last = (run_dir / "checkpoints" / "last.ckpt").read_bytes()
    one = ["--nodes=1", "--ntasks-per-node=1", "--gpus-per-node=0", "--cpus-per-task=1", "--time=00:05:00"]
    job = _submit(work, env, config, run_dir, flags=one)
    st = wait_end(job, env, 180)
    text = log(work, job)                                 # this job's own output (the copied run has its logs)
    assert st == "FAILED", (st, text[-3000:])
    assert "world size 2" in text and "sbatch --nodes=2 --ntasks-per-node=1" in text, text[-3000:]
    assert "Restoring states" not in text and "Epoch" not in text     # at once: nothing restored, nothing trained
    info = show(job, env)
    if info.get("RunTime"):                               # start-up (imports) only; generous for a loaded machine
        h, m, s = (int(x) for x in info["RunTime"].split("-")[-1].split(":"))
        assert h * 3600 + m * 60 + s < 120, info["RunTime"]
    assert (run_dir / "checkpoints" / "last.ckpt").read_bytes() == last
