"""The two-node dev cluster (``slurm/dev/start.sh --nodes 2``) for the multi-node tests, beside the one-node cluster
of ``tests/conftest.py``: its own state directory and ports, so one-node sessions running side by side (other
engineers, CI) are not disturbed. Started once per session by the first test that asks for it; stopped by the last
session using it, if a test session started it (the same leases as the one-node cluster). Tests pass its
``slurm.conf`` to their commands in the environment (``two_nodes_env``): the one-node cluster stays the default.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.pipeline import run
from tests.fixtures import toy

ROOT = Path(__file__).resolve().parents[2]
STATE2 = Path(os.environ.get("OXYGEN_HPC_SLURM2_DIR", "/tmp/oxygen-hpc-slurm-2n"))
PORTS2 = {"SLURM_DEV_CTLD_PORT": "6837", "SLURM_DEV_SLURMD_PORT": "6838"}      # nodes on 6838 and 6839


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def two_nodes() -> str:
    """Path of the two-node cluster's slurm.conf."""
    leases = STATE2 / "leases"
    leases.mkdir(parents=True, exist_ok=True)
    lease = leases / str(os.getpid())
    lease.touch()
    env = dict(os.environ, OXYGEN_HPC_SLURM_DIR=str(STATE2), **PORTS2)
    r = subprocess.run([str(ROOT / "slurm" / "dev" / "start.sh"), "--nodes", "2"], capture_output=True, text=True,
                       timeout=900, env=env)
    if r.returncode != 0:
        lease.unlink(missing_ok=True)
        pytest.fail(f"slurm/dev/start.sh --nodes 2 failed (rc {r.returncode}):\n{r.stderr[-3000:]}", pytrace=False)
    conf = r.stdout.strip().splitlines()[-1].split("=", 1)[1]
    marker = STATE2 / "started_by_tests"
    if "started in" in r.stderr:
        marker.touch()
    try:
        yield conf
    finally:
        lease.unlink(missing_ok=True)
        others = [p for p in leases.iterdir() if p.name.isdigit() and _alive(int(p.name))]
        if not others and marker.exists():
            marker.unlink(missing_ok=True)
            subprocess.run([str(ROOT / "slurm" / "dev" / "stop.sh")], capture_output=True, timeout=120, env=env)


@pytest.fixture(scope="session")
def two_nodes_env(two_nodes) -> dict:
    """Environment for sbatch & co. on the two-node cluster (this interpreter's bin first on PATH)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")} | {"SLURM_CONF": two_nodes,
                                                                                   "PATH": path}


@pytest.fixture(scope="session")
def parts2(tmp_path_factory) -> Path:
    """Tiny partitions (30° grid, 6 years, 4 zones) shared by the two-node tests."""
    d = tmp_path_factory.mktemp("slurm2_parts")
    _, _, cov, store = toy.tiny_case(d, years=(2000, 2005), store_years=(1995, 2010), rows=300, seed=2)
    run(PartitionConfig(covariates=str(cov), out=str(d / "parts"), zones_lon=2, zones_lat=2), str(store), workers=1,
        progress=False)
    return d / "parts"
