"""Helpers of the Slurm tests: submit, poll and read back jobs (the environment names the cluster)."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "GONE")


def sbatch(args: list[str], env: dict, cwd: Path) -> str:
    r = subprocess.run(["sbatch", "--parsable", *args], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split(";")[0]


def show(job: str, env: dict) -> dict:
    """``scontrol show job`` as a dict ({} once the job is gone)."""
    r = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True, env=env)
    return dict(tok.split("=", 1) for tok in r.stdout.split() if "=" in tok)


def state(job: str, env: dict) -> str:
    return show(job, env).get("JobState", "GONE")


def wait(job: str, env: dict, until, timeout: float, what: str, poll: float = 0.5) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = state(job, env)
        if until(s):
            return s
        time.sleep(poll)
    raise AssertionError(f"job {job}: timed out after {timeout:.0f} s waiting for {what} (state {state(job, env)})")


def wait_end(job: str, env: dict, timeout: float) -> str:
    return wait(job, env, lambda s: s in ENDED, timeout, "the end")


def log(cwd: Path, job: str, run_dir: Path | None = None, prefix: str = "oxygen-fit") -> str:
    files = [cwd / f"{prefix}-{job}.out"]
    if run_dir is not None:
        files += sorted((run_dir / "logs").glob("*.out"))
    return "\n".join(f.read_text(errors="replace") for f in files if f.exists())


def weights(ckpt: Path) -> dict:
    return torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]   # our own files


def task_pids(job: str, procid: int) -> list[int]:
    """Pids of this host's processes that are Slurm task ``procid`` of ``job`` (both dev nodes are this host)."""
    pids = []
    for env_file in Path("/proc").glob("[0-9]*/environ"):
        try:
            env = dict(v.split("=", 1) for v in env_file.read_bytes().decode(errors="replace").split("\0") if "=" in v)
            cmd = (env_file.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if (env.get("SLURM_JOB_ID") == job and env.get("SLURM_PROCID") == str(procid) and "oxygen-hpc" in cmd
                and "slurmstepd" not in cmd):
            pids.append(int(env_file.parent.name))
    return pids
