"""Partitions of a toy ocean (3 years, 4 zones) shared by the data tests."""
import pytest

from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.pipeline import run
from tests.fixtures import toy


@pytest.fixture(scope="session")
def root(tmp_path_factory):
    d = tmp_path_factory.mktemp("dm")
    _, _, cov, store = toy.tiny_case(d, years=(2000, 2002), store_years=(1998, 2004))
    out = d / "parts"
    run(PartitionConfig(covariates=str(cov), out=str(out), zones_lon=2, zones_lat=2), str(store), workers=1,
        progress=False)
    return out
