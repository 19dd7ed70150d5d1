"""Every shipped train config parses into the classes it names (LightningCLI ``--print_config``), so a renamed
argument or a typo in ``configs/train/`` fails here rather than at the start of a cluster job."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
CONFIGS = sorted((REPO / "configs" / "train").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_train_config_parses(path, tmp_path):
    r = subprocess.run([EXE, "fit", "--config", str(path), "--print_config"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 0, f"{path.name}: {r.stderr[-2000:]}"
    resolved = yaml.safe_load(r.stdout)
    given = yaml.safe_load(path.read_text())
    for section in ("model", "data"):                  # what the file sets is what the CLI resolved
        for key, value in ((given.get(section) or {}).get("init_args") or {}).items():
            assert resolved[section]["init_args"][key] == value, f"{path.name}: {section}.{key}"
