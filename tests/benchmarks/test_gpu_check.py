"""`benchmarks/gpu_check.py --cpu`: the GPU check's own code runs here on tiny inputs, so it cannot rot before a GPU
is lent (`make gpu-check` runs the same script on CUDA); and what it imports is on the GPU machine or carried."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AUDIT = """import atexit, os, sys
def _dump():
    with open(os.path.join(os.path.dirname(__file__), f"mods.{os.getpid()}"), "w") as f:
        f.write(" ".join(sys.argv[:2]) + "\\n" + "\\n".join({m.split(".")[0] for m in list(sys.modules)}))
atexit.register(_dump)
"""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _audited(folder: Path, cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    """Run ``cmd`` with every Python process in it recording the top-level modules it imported in ``folder``."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(AUDIT)
    env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")])))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)


def _modules(folder: Path) -> set[str]:
    return {m for f in folder.glob("mods.*") for m in f.read_text().splitlines()[1:]}   # line 1: the command


def _not_on_the_gpu_machine(mods: set[str]) -> set[str]:
    """Distributions whose modules were imported that neither the GPU machine has nor benchmarks/fetch_wheels.sh
    carries (this project and the standard library aside)."""
    import importlib.metadata as md

    there = {_norm(x) for x in (REPO / "benchmarks/gpu_machine_packages.txt").read_text().split()
             if not x.startswith("#")}
    script = (REPO / "benchmarks/fetch_wheels.sh").read_text()
    carried = {_norm(x) for x in re.search(r"PACKAGES=\(([^)]*)\)", script).group(1).split()}
    dists = md.packages_distributions()
    used = {_norm(d) for m in mods for d in dists.get(m, [])}
    ours = {"oxygen-hpc"}
    # below 3.12 dask needs importlib_metadata (and it lazy-importer); the GPU machine runs 3.12
    old_python = {"importlib-metadata", "lazy-importer"} if sys.version_info < (3, 12) else set()
    return used - there - carried - ours - old_python


@pytest.mark.timeout(240)
def test_gpu_check_cpu_mode_measures_everything_and_collects_the_gpu_tests(tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_") and k != "OUT"}
    audit = tmp_path / "audit"                                 # every process records the modules it imported
    p = _audited(audit, [sys.executable, str(REPO / "benchmarks/gpu_check.py"), "--cpu", "--out", str(out),
                         "--work", str(tmp_path / "work")], env, cwd=REPO, timeout=220)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    r = json.loads((out / "gpu_check.json").read_text())
    assert r["cpu_mode"] and not r["errors"]
    rows = r["train"]["rows"]
    assert {(x["graph"], x["precision"]) for x in rows} == {(g, p) for g in ("whole partition", "fit_subgraph")
                                                            for p in ("32-true", "bf16-mixed")}
    assert all(x["labelled_per_s"] > 0 and x["peak_mb"] > 0 and x["steps"] >= 1 for x in rows)
    sub = {x["precision"]: x["nodes"] for x in rows if x["graph"] == "fit_subgraph"}
    assert all(n < r["sizes"]["nodes"] for n in sub.values())             # the subgraph is smaller
    inf = r["infer"]["rows"]
    assert [x["precision"] for x in inf] == ["fp32", "bf16"]
    assert all(x["cells"] > 0 and x["century_s"] > 0 and x["write_s"] > 0 for x in inf)
    t = r["tests"]
    assert t["returncode"] == 0 and t["counts"]["tests collected"] >= 6     # every gpu test imports and collects
    assert "tests/oxygen_hpc/training/test_gpu.py" in t["files"]
    assert "pytest -m gpu (collect)" in p.stdout and "century" in p.stdout  # the table
    assert len(list(audit.glob("mods.*"))) >= 3                             # this run, pytest, Dask workers ...
    (tmp_path / "empty").mkdir()                # what pytest and this venv's plugins import anyway: not the check's
    _audited(tmp_path / "bare", [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                 str(tmp_path / "empty")], env, cwd=tmp_path, timeout=120)
    missing = _not_on_the_gpu_machine(_modules(audit) - _modules(tmp_path / "bare"))
    assert not missing, f"imported, but neither on the GPU machine nor in benchmarks/fetch_wheels.sh: {missing}"
