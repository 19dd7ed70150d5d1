import json
from pathlib import Path

import pytest

from oxygen_contracts.config import load
from preprocessing.synthetic.config import SynthConfig
from preprocessing.synthetic.run import build

REPO = Path(__file__).resolve().parents[3]
TINY = REPO / "configs" / "synthetic" / "tiny.yaml"


def _build(root, seed):
    out = root / f"seed{seed}"
    if not out.exists():
        build(load(TINY, SynthConfig, {"seed": seed}), str(out), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="session")
def tiny(tiny_root):
    out = _build(tiny_root, 0)
    return out, json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="session")
def tiny_again(tiny_root, tiny):
    return build(load(TINY, SynthConfig, {"seed": 0}), str(tiny_root / "again"), progress=False) and tiny_root / "again"


@pytest.fixture(scope="session")
def tiny_other(tiny_root):
    return _build(tiny_root, 5)
