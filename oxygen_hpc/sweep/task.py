"""What runs on the compute node: ``oxygen-hpc sweep run-task DIR INDEX`` (exec'd by the batch script).

The task's argv is read from ``sweep.json`` and executed without a shell; its exit status goes to
``runs/<i>/sweep_status.json``.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from oxygen_hpc.sweep.expand import SweepError
from oxygen_hpc.sweep.store import load, write_status


def run_task(sweep_dir: str | Path, index: int) -> int:
    """Run task ``index``'s argv (no shell), forwarding SIGUSR1/SIGTERM/SIGINT, and record its exit status."""
    data = load(sweep_dir)
    if not 0 <= index < data["n"]:
        raise SweepError(f"task {index} out of range 0..{data['n'] - 1}")
    task = data["tasks"][index]
    argv = [os.environ.get(t[9:-1], "") if t.startswith("${envvar:") and t.endswith("}") else t
            for t in task["argv"]]
    run_dir = Path(task["run_dir"])
    info = {"index": index, "argv": argv, "host": socket.gethostname(), "started": time.time(),
            "job_id": os.environ.get("SLURM_JOB_ID"), "array_job_id": os.environ.get("SLURM_ARRAY_JOB_ID")}
    write_status(run_dir, state="running", **info)
    try:
        child = subprocess.Popen(argv, cwd=os.environ.get("SLURM_SUBMIT_DIR") or None)
    except OSError as e:
        write_status(run_dir, state="failed", exit_code=127, error=f"cannot run {argv[0]!r}: {e.strerror}",
                     ended=time.time(), **info)
        print(f"sweep task {index}: cannot run {argv[0]!r}: {e.strerror}", file=sys.stderr)
        return 127
    sigs = (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, lambda s, _f: child.send_signal(s)) for sig in sigs}
    try:
        rc = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    write_status(run_dir, state="completed" if rc == 0 else "failed", exit_code=rc, ended=time.time(), **info)
    return rc
