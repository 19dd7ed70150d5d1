"""Fixtures shared by the learning-side tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def one_thread():
    """torch on one intra-op thread for a whole module, restored after it. Requested by the modules of small
    tensor tests with ``pytestmark = pytest.mark.usefixtures("one_thread")``: on 2 shared cores, intra-op
    threads only spin against the other test processes."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def root(tmp_path_factory):
    """Partitions of a toy ocean (3 years, 4 zones, 5 folds) shared by the data and background tests."""
    from tests.fixtures import toy

    return toy.partitions(tmp_path_factory.mktemp("dm"), years=(2000, 2002), store_years=(1998, 2004))
