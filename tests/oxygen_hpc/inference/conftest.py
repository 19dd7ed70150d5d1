"""Shared fixtures: a small partition set (toy 30° grid, 6 years, 4 zones, 2 halo hops), two untrained
checkpoints (different seeds) saved in Lightning's checkpoint layout, and one reference single-process run."""
from __future__ import annotations

from pathlib import Path

import pytest

from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.pipeline import run
from tests.fixtures import toy

from .infer_util import YEARS, predict, save_checkpoint


@pytest.fixture(scope="session")
def infer_parts(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("infer_parts")
    _, _, cov, store = toy.tiny_case(d, years=YEARS, store_years=(YEARS[0] - 5, YEARS[1] + 5), rows=200, seed=3)
    out = d / "parts"
    run(PartitionConfig(covariates=str(cov), out=str(out), zones_lon=2, zones_lat=2, layers=2), str(store),
        workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def ckpts(infer_parts, tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("ckpts")
    return [save_checkpoint(infer_parts, d / f"m{s}.ckpt", s) for s in (0, 1)]


@pytest.fixture(scope="session")
def reference(infer_parts, ckpts, tmp_path_factory) -> Path:
    """One uninterrupted single-process run with the first checkpoint."""
    out = tmp_path_factory.mktemp("ref") / "rec"
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[0], "--out", out) == 0
    return out
