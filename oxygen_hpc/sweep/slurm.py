"""Submit a written sweep as one ``sbatch --array`` of the batch script ``sweep.sh``.

The batch script is package data (``oxygen_hpc/sweep/sweep.sh``; in the source tree a symlink to the user-facing
``slurm/sweep.sh``, which is the one file), so an installed package finds it without the repository. sbatch gets
an argv list and ``SWEEP_DIR`` in its environment; nothing goes through a shell.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

from oxygen_hpc.sweep.expand import SweepError
from oxygen_hpc.sweep.store import load, save

SCRIPT = "sweep.sh"


def sweep_script() -> Path:
    """The batch script each array task runs, as installed with the package."""
    script = resources.files(__package__) / SCRIPT
    if not isinstance(script, Path) or not script.is_file():
        raise SweepError(f"the batch script {SCRIPT} is missing from the installed package ({script}); reinstall "
                         "oxygen_hpc, or submit by hand: SWEEP_DIR=DIR sbatch --array=0-(N-1) slurm/sweep.sh")
    return script.resolve()


def sbatch_argv(data: dict, parallel: int | None, extra: list[str] = ()) -> list[str]:
    n = data["n"]
    array = f"0-{n - 1}" + (f"%{parallel}" if parallel else "")
    logs = Path(data["sweep_dir"]) / "logs"
    return ["sbatch", "--parsable", f"--array={array}", f"--job-name=sweep-{data['name']}",
            f"--output={logs}/%A_%a.out", *data["spec"].get("sbatch", []), *extra, str(sweep_script())]


def submit(sweep_dir: str | Path, parallel: int | None = None, extra: list[str] = ()) -> str:
    """One ``sbatch --array`` for the whole sweep; returns the array job id (also recorded in sweep.json)."""
    data = load(sweep_dir)
    argv = sbatch_argv(data, parallel, list(extra))
    env = dict(os.environ, SWEEP_DIR=data["sweep_dir"],
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SweepError(f"sbatch failed (rc {r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
    job_id = r.stdout.strip().split(";")[0]
    data.setdefault("submissions", []).append({"job_id": job_id, "argv": argv, "time": time.time()})
    save(Path(sweep_dir), data)
    return job_id
