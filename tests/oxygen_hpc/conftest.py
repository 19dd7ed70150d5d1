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
