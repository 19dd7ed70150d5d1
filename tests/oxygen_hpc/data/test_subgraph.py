"""fit_subgraph: the targets' k-hop in-neighbourhood gives the targets exactly the whole partition's predictions."""
import numpy as np
import pytest
import torch

from oxygen_hpc.data import PartitionDataset
from oxygen_hpc.data.subgraph import khop_in_subgraph
from oxygen_hpc.models import OxyGenerator


def test_khop_in_subgraph_on_a_path():
    # 0 → 1 → 2 → 3 → 4 (and 5 isolated); seed 3: 2 hops in = {1, 2, 3}
    ei = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])
    seeds = np.zeros(6, bool)
    seeds[3] = True
    nodes, edges, new = khop_in_subgraph(ei, 6, seeds, 2)
    assert nodes.tolist() == [1, 2, 3] and edges.tolist() == [1, 2] and new.tolist() == [[0, 1], [1, 2]]
    nodes, edges, new = khop_in_subgraph(ei, 6, np.zeros(6, bool), 2)        # no target: one node, no edge
    assert nodes.tolist() == [0] and edges.size == 0 and new.shape == (2, 0)


@pytest.mark.timeout(120)
def test_subgraph_gives_targets_the_whole_partition_predictions(root):     # root: conftest.py
    full = PartitionDataset(root, stage="fit", val_fold=0, test_fold=1, seed=3)
    sub = PartitionDataset(root, stage="fit", val_fold=0, test_fold=1, seed=3, fit_subgraph=True)
    m = full.manifest
    torch.manual_seed(0)
    net = OxyGenerator(len(m["feature_names"]), len(m["meta_names"]), len(m["edge_feature_names"]), hidden=8,
                       layers=int(m["layers"]), hyper_hidden=8, edge_hidden=8).eval()
    smaller = targets = 0
    for i in range(len(full)):
        a, b = full[(i, 1, i)], sub[(i, 1, i)]
        ta, tb = torch.isfinite(a.y), torch.isfinite(b.y)
        assert int(ta.sum()) == int(tb.sum())
        assert torch.equal(a.y[ta], b.y[tb]) and torch.equal(a.cell[ta], b.cell[tb])
        with torch.no_grad():
            assert torch.allclose(net(a)[ta], net(b)[tb], atol=1e-5)
        smaller += b.num_nodes < a.num_nodes
        targets += int(ta.sum())
    assert targets > 0 and smaller > 0
    v = PartitionDataset(root, stage="validate", val_fold=0, test_fold=1, fit_subgraph=True)
    assert v[0].num_nodes == full[0].num_nodes                                 # only fit is cut
