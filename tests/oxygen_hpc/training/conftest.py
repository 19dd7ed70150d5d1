"""A small partition set (toy grid, 6 years, 4 zones) shared by the training tests."""
from __future__ import annotations

import pytest

from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.pipeline import run
from tests.fixtures import toy


@pytest.fixture(scope="session")
def train_parts(tmp_path_factory):
    d = tmp_path_factory.mktemp("train_parts")
    _, _, cov, store = toy.tiny_case(d, years=(2000, 2005), store_years=(1995, 2010), rows=300, seed=1)
    out = d / "parts"
    run(PartitionConfig(covariates=str(cov), out=str(out), zones_lon=2, zones_lat=2), str(store), workers=1,
        progress=False)
    return out
