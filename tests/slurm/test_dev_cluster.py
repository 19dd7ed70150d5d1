"""The one-node dev Slurm cluster runs real jobs: batch, arrays, and Dask workers through dask-jobqueue."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(240)]


def _squeue(name: str) -> list[str]:
    r = subprocess.run(["squeue", "-h", "-n", name, "-o", "%i %T"], capture_output=True, text=True, check=True)
    return r.stdout.split("\n")[:-1]


def test_cluster_node_is_up(slurm_cluster):
    assert Path(slurm_cluster).is_file()
    r = subprocess.run(["sinfo", "-h", "-o", "%P %a %t"], capture_output=True, text=True, check=True)
    part, avail, state = r.stdout.split()[:3]
    assert part == "debug*" and avail == "up" and state in ("idle", "mix", "alloc")


def test_sbatch_wait_trivial_job_writes_output(tmp_path):
    out = tmp_path / "job.out"
    r = subprocess.run(["sbatch", "--wait", "--parsable", "-J", "oxy-trivial", "-o", str(out),
                        "--wrap", "echo hello from $SLURM_JOB_ID on $SLURMD_NODENAME"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    job_id = r.stdout.strip().split(";")[0]
    assert out.read_text().startswith(f"hello from {job_id} on ")


def test_sbatch_failing_job_reports_exit_code(tmp_path):
    r = subprocess.run(["sbatch", "--wait", "-o", str(tmp_path / "f.out"), "--wrap", "exit 3"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3


def test_array_of_four_tasks_all_complete(tmp_path):
    script = tmp_path / "array.sh"
    script.write_text("#!/bin/bash\necho \"task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID\" > "
                      f"{tmp_path}/done.$SLURM_ARRAY_TASK_ID\n")
    r = subprocess.run(["sbatch", "--wait", "--parsable", "--array=0-3", "-J", "oxy-array",
                        "-o", str(tmp_path / "%A_%a.out"), str(script)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    array_id = r.stdout.strip().split(";")[0]
    for i in range(4):
        assert (tmp_path / f"done.{i}").read_text() == f"task {i} of {array_id}\n"


def test_dask_jobqueue_workers_are_slurm_jobs(tmp_path):
    from preprocessing.cluster import open_client

    cfg = tmp_path / "cluster.yaml"
    cfg.write_text(f"""kind: slurm
slurm:
  cores: 1
  processes: 1
  memory: 1GiB
  walltime: "00:05:00"
  jobs: 2
  job_extra_directives: ["--job-name=oxy-dask"]
  local_directory: {tmp_path}/scratch
  log_directory: {tmp_path}/logs
  wait_for_workers_s: 120
""")
    with open_client(str(cfg)) as client:
        jobs = _squeue("oxy-dask")
        assert jobs and all(j.endswith("RUNNING") for j in jobs), jobs
        assert client.submit(sum, [1, 2]).result(timeout=60) == 3
        futures = client.map(lambda x: x * x, range(50))
        assert sum(client.gather(futures)) == sum(x * x for x in range(50))
        hosts = client.run(lambda: __import__("os").environ.get("SLURM_JOB_ID"))
        assert all(v is not None for v in hosts.values()), hosts  # workers run inside Slurm jobs
    deadline = time.monotonic() + 60
    while _squeue("oxy-dask") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _squeue("oxy-dask") == []
