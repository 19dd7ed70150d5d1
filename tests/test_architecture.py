"""The architecture rules of docs/architecture.md, checked by import-linter (the contracts are in setup.cfg):
the learning side never imports the preprocessing stages or Dask; preprocessing never imports torch or the learning
side; the shared contracts import neither side. A planted violation must be caught, so the check cannot rot."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("oxygen_contracts", "oxygen_hpc", "preprocessing")


def _lint(root: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(exe), "--no-cache", str(root / "setup.cfg")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contracts_hold():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "3 kept, 0 broken" in r.stdout


def test_planted_violations_are_caught(tmp_path):
    for p in PACKAGES:
        shutil.copytree(ROOT / p, tmp_path / p, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    with open(tmp_path / "preprocessing" / "units.py", "a") as f:          # preprocessing -> torch
        f.write("\nimport torch  # planted\n")
    with open(tmp_path / "oxygen_hpc" / "products" / "omz.py", "a") as f:  # learning side -> a preprocessing stage
        f.write("\nfrom preprocessing.partition import folds  # planted\n")
    r = _lint(tmp_path)
    assert r.returncode != 0
    assert "Preprocessing never imports torch or the learning side BROKEN" in r.stdout
    assert "The learning side never imports the preprocessing stages or Dask BROKEN" in r.stdout
    assert "preprocessing.units -> torch" in r.stdout
    assert "oxygen_hpc.products.omz -> preprocessing.partition.folds" in r.stdout
