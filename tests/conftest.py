"""Session fixtures shared by all tests: the one-node dev Slurm cluster for tests marked ``@pytest.mark.slurm``.

The cluster is started once per session with ``slurm/dev/start.sh`` (seconds when the packages are installed)
and stopped with ``slurm/dev/stop.sh`` at the end, but only by the last test session using it and only if a test
session started it (a cluster a developer started by hand is left running). Sessions running side by side
(pytest-xdist workers, two engineers) each hold a lease file ``<state>/leases/<pid>``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("OXYGEN_HPC_SLURM_DIR", "/tmp/oxygen-hpc-slurm"))
# tests/ and every folder below it are packages (tests.oxygen_hpc..., so equal test basenames do not collide), and
# pytest puts the repository root on sys.path for them; said here too, so `import oxygen_hpc` and `import tests...`
# resolve to this checkout whatever the import mode or the directory pytest is started from.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pytest_collection_modifyitems(config, items):
    for item in items:  # a test marked slurm gets the cluster without naming the fixture
        if item.get_closest_marker("slurm") and "slurm_cluster" not in item.fixturenames:
            item.fixturenames.insert(0, "slurm_cluster")
    # Tests marked gpu need CUDA: without it they are deselected (not skipped) unless `-m` names gpu; they run in
    # `make gpu-check` (benchmarks/gpu_check.py) on a GPU machine.
    gpu = [i for i in items if i.get_closest_marker("gpu")]
    if gpu and "gpu" not in (config.option.markexpr or ""):
        import torch

        if not torch.cuda.is_available():
            config.hook.pytest_deselected(items=gpu)
            items[:] = [i for i in items if not i.get_closest_marker("gpu")]


@pytest.fixture(scope="session")
def slurm_cluster() -> str:
    """Path of the dev cluster's slurm.conf; ``SLURM_CONF`` is exported in this process for sbatch & co,
    and this interpreter's bin directory leads ``PATH`` so jobs find the same ``python`` and ``oxygen-hpc``."""
    leases = STATE / "leases"  # taken before starting, so a session ending meanwhile does not stop it
    leases.mkdir(parents=True, exist_ok=True)
    lease = leases / str(os.getpid())
    lease.touch()
    r = subprocess.run([str(ROOT / "slurm" / "dev" / "start.sh")], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        lease.unlink(missing_ok=True)
        pytest.fail(f"slurm/dev/start.sh failed (rc {r.returncode}):\n{r.stderr[-3000:]}", pytrace=False)
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("export SLURM_CONF="), r.stdout
    conf = last.split("=", 1)[1]
    marker = STATE / "started_by_tests"
    if "started in" in r.stderr:
        marker.touch()
    old = {k: os.environ.get(k) for k in ("SLURM_CONF", "PATH")}
    os.environ["SLURM_CONF"] = conf
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        yield conf
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        lease.unlink(missing_ok=True)
        others = [p for p in leases.iterdir() if p.name.isdigit() and _alive(int(p.name))]
        if not others and marker.exists():
            marker.unlink(missing_ok=True)
            subprocess.run([str(ROOT / "slurm" / "dev" / "stop.sh")], capture_output=True, timeout=120)


@pytest.fixture(autouse=True)
def _restore_wandb_env():
    """`oxygen-hpc fit` run in-process (``training.cli.main``, the OSSE harness) sets ``WANDB_*`` for its run, as a
    process should; a test must not hand them to the tests after it (a ``WANDB_MODE=disabled`` left behind turns off
    W&B in every later subprocess fit)."""
    before = {k: v for k, v in os.environ.items() if k.startswith("WANDB_")}
    yield
    for k in [k for k in os.environ if k.startswith("WANDB_")]:
        if k not in before:
            del os.environ[k]
    os.environ.update(before)
