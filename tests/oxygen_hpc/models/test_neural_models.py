import pytest
import torch
from torch_geometric.data import Batch, Data

from oxygen_hpc.models import NEURAL_MODELS, OxyGenerator
from oxygen_hpc.training.losses import regularised_loss

F, M, D = 5, 3, 2
SMALL = {  # small but expressive enough settings for the tiny-graph tests
    "oxygenerator": dict(hidden=16, layers=2, rank=2), "mlp": dict(hidden=32, layers=2),
    "bilstm": dict(hidden=16), "mlp_lstm": dict(hidden=16), "transformer": dict(d_model=16, heads=2, layers=1),
    "gcn": dict(hidden=16), "gat": dict(hidden=16, heads=2), "graphsage": dict(hidden=16),
}
CONTRACT = {"x", "meta", "series", "series_mask", "nutrients", "nutrients_mask", "obs", "obs_mask", "edge_index",
            "edge_attr", "zone", "year", "batch", "ptr", "num_nodes", "num_graphs"}


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/oxygen_hpc/conftest.py


def smooth_graph(n=200, seed=0, zone=0):
    """Nodes in the unit square, 6-NN edges; DO = smooth function of own features and neighbours' mean."""
    g = torch.Generator().manual_seed(seed)
    pos = torch.rand(n, 2, generator=g)
    dist = torch.cdist(pos, pos)
    dist.fill_diagonal_(float("inf"))
    src = dist.topk(6, dim=1, largest=False).indices            # 6 nearest neighbours send to each node
    edge_index = torch.stack([src.reshape(-1), torch.arange(n).repeat_interleave(6)])
    x = torch.randn(n, F, generator=g)
    nb = torch.zeros(n).index_add(0, edge_index[1], x[edge_index[0], 0]) / 6
    y = 170 + 50 * torch.tanh(x[:, 0]) + 25 * x[:, 1] * x[:, 2] / (1 + x[:, 2].abs()) + 20 * nb
    nut_mask = (torch.rand(n, 2, generator=g) < 0.3).float()
    series_mask = (torch.rand(n, 11, generator=g) < 0.3).float()
    series_mask[:, 5] = 0
    return Data(
        x=x, meta=torch.cat([pos, torch.full((n, 1), float(zone))], 1),
        series=((y - 170) / 80).unsqueeze(1) * series_mask + 0.05 * torch.randn(n, 11, generator=g) * series_mask,
        series_mask=series_mask, nutrients=torch.randn(n, 2, generator=g) * nut_mask, nutrients_mask=nut_mask,
        obs=torch.zeros(n), obs_mask=torch.zeros(n), y=y, owned=torch.ones(n, dtype=torch.bool),
        edge_index=edge_index, edge_attr=(pos[edge_index[0]] - pos[edge_index[1]]) * 10, cell=torch.arange(n),
        zone=torch.tensor([zone]), year=torch.tensor([2000]))


class FieldRecorder:
    """Stands in for a batch and records which attributes a model reads."""

    def __init__(self, data):
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name):
        self.read.add(name)
        return getattr(self._data, name)


@pytest.mark.parametrize("name", sorted(NEURAL_MODELS))
def test_loss_falls_on_tiny_graph(name):
    torch.manual_seed(0)
    data = smooth_graph()
    model = NEURAL_MODELS[name](F, M, D, **SMALL[name])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss, _ = regularised_loss(model, data, lam=0.0)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0], (name, losses[0], losses[-1])


@pytest.mark.parametrize("name", sorted(NEURAL_MODELS))
def test_forward_reads_only_contract_fields_and_never_targets(name):
    torch.manual_seed(0)
    batch = Batch.from_data_list([smooth_graph(30, seed=1), smooth_graph(20, seed=2, zone=1)])
    model = NEURAL_MODELS[name](F, M, D, **SMALL[name]).eval()
    rec = FieldRecorder(batch)
    out = model(rec)
    assert out.shape == (50,) and torch.isfinite(out).all()
    assert rec.read <= CONTRACT, rec.read - CONTRACT
    # targets and ownership cannot matter
    batch2 = batch.clone()
    batch2.y = torch.full_like(batch.y, float("nan"))
    batch2.owned = ~batch.owned
    batch2.cell = batch.cell + 1000
    assert torch.equal(model(batch2), out)


def test_oxygenerator_uses_neighbours_series_and_nutrients():
    torch.manual_seed(0)
    data = smooth_graph(50)
    model = OxyGenerator(F, M, D, hidden=16).eval()
    out = model(data)
    changed = data.clone()
    changed.x = data.x.clone()
    src, dst = data.edge_index[:, 0].tolist()
    changed.x[src] += 3.0                      # a neighbour's features move the target's prediction
    assert model(changed)[dst] != out[dst]
    no_temporal = OxyGenerator(F, M, D, hidden=16, temporal=False).eval()
    s = data.clone()
    s.series = data.series + data.series_mask   # only observed steps change
    assert not torch.allclose(model(s), out)
    assert torch.equal(no_temporal(s), no_temporal(data))


@pytest.mark.parametrize("affine", ["lowrank", "full", "diag"])
def test_oxygenerator_discrete_zoning_from_meta_column_and_batch_zone(affine):
    torch.manual_seed(0)
    batch = Batch.from_data_list([smooth_graph(30, seed=1, zone=0), smooth_graph(20, seed=2, zone=3)])
    by_graph = OxyGenerator(F, M, D, hidden=8, zoning="discrete", num_zones=4, affine=affine).eval()
    by_meta = OxyGenerator(F, M, D, hidden=8, zoning="discrete", num_zones=4, zone_column=2, affine=affine).eval()
    by_meta.load_state_dict(by_graph.state_dict())
    assert torch.allclose(by_graph(batch), by_meta(batch))
    # swapping the zone of the second graph changes its nodes only through the zone table
    other = batch.clone()
    other.zone = torch.tensor([0, 1])
    assert not torch.allclose(by_graph(other)[30:], by_graph(batch)[30:])
