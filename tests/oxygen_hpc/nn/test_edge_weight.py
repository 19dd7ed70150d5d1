import pytest
import torch
from torch_geometric.utils import scatter

from oxygen_hpc.nn import SoftmaxEdgeWeight


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/oxygen_hpc/conftest.py


def test_weights_sum_to_one_per_target_node():
    torch.manual_seed(0)
    n, e = 20, 90
    edge_index = torch.randint(0, n, (2, e))
    w = SoftmaxEdgeWeight(4)(torch.randn(e, 4) * 3, edge_index, n)
    assert w.shape == (e,)
    assert (w > 0).all()
    sums = scatter(w, edge_index[1], dim=0, dim_size=n, reduce="sum")
    has_in = torch.bincount(edge_index[1], minlength=n) > 0
    assert torch.allclose(sums[has_in], torch.ones(int(has_in.sum())), atol=1e-6)
    assert (sums[~has_in] == 0).all()


def test_weights_depend_on_edge_features_and_not_uniform():
    torch.manual_seed(1)
    edge_index = torch.tensor([[1, 2, 3], [0, 0, 0]])
    w = SoftmaxEdgeWeight(2)(torch.tensor([[5.0, 0.0], [0.0, 5.0], [-5.0, -5.0]]), edge_index, 4)
    assert not torch.allclose(w, torch.full((3,), 1 / 3))


def test_no_edge_features_gives_mean_aggregation_weights():
    edge_index = torch.tensor([[1, 2, 3, 0], [0, 0, 0, 1]])
    w = SoftmaxEdgeWeight(0)(None, edge_index, 4)
    assert torch.allclose(w, torch.tensor([1 / 3, 1 / 3, 1 / 3, 1.0]))
