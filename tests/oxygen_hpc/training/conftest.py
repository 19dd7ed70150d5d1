"""A small partition set (toy grid, 6 years, 4 zones) shared by the training tests."""
from __future__ import annotations

import pytest

from tests.fixtures import toy


@pytest.fixture(scope="session")
def train_parts(tmp_path_factory):
    return toy.partitions(tmp_path_factory.mktemp("train_parts"), years=(2000, 2005), store_years=(1995, 2010),
                          rows=300, seed=1)
