import pytest
import torch

from oxygen_hpc.nn import FeatureEncoder, TemporalEncoder, ZoneAffineTable, ZoneHypernetwork, affine_param_size


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/oxygen_hpc/conftest.py


def test_feature_encoder_shape_and_twice_differentiable():
    enc = FeatureEncoder(5, hidden=8, layers=3)
    x = torch.randn(4, 5, requires_grad=True)
    (g,) = torch.autograd.grad(enc(x).sum(), x, create_graph=True)
    g.square().sum().backward()
    assert enc.net[0].weight.grad is not None and enc.net[0].weight.grad.abs().sum() > 0


def test_temporal_encoder_sees_series_and_shares_empty_encoding():
    torch.manual_seed(0)
    enc = TemporalEncoder(hidden=8)
    series = torch.randn(5, 11)
    mask = torch.zeros(5, 11)
    mask[0, :3] = 1
    mask[1, 7] = 1
    out = enc(series, mask)
    assert out.shape == (5, 8)
    assert torch.allclose(out[2], out[3]) and torch.allclose(out[3], out[4])
    assert not torch.allclose(out[0], out[2])
    # the skip of all-masked nodes is exact: same as running the LSTM on every node
    full = enc.encode_sequences(torch.stack([series * mask, mask], -1))
    assert torch.allclose(out, full, atol=1e-6)
    # masked values do not matter
    series2 = series.clone()
    series2[mask == 0] = 99.0
    assert torch.allclose(enc(series2, mask), out, atol=1e-6)


def test_hypernetwork_starts_near_identity_and_varies_with_meta():
    hyper = ZoneHypernetwork(3, dim=6, mode="full")
    params = hyper(torch.randn(10, 3))
    assert params.shape == (10, affine_param_size(6, "full"))
    assert params.abs().max() < 1.0
    assert params.std(0).max() > 0


def test_zone_table_rows_and_range_check():
    table = ZoneAffineTable(4, dim=3, mode="diag")
    out = table(torch.tensor([0, 2, 2]))
    assert torch.equal(out[1], out[2]) and not torch.equal(out[0], out[1])
    with pytest.raises(ValueError):
        table(torch.tensor([4]))


@pytest.mark.parametrize("mode", ["lowrank", "full", "diag"])
def test_hypernetwork_transform_equals_applying_its_parameters(mode):
    from oxygen_hpc.nn import apply_node_affine

    torch.manual_seed(4)
    hyper = ZoneHypernetwork(5, dim=6, mode=mode, rank=3, hidden=7).double()
    with torch.no_grad():
        hyper.out.weight.normal_()                          # far from the identity, so every term counts
        hyper.out.bias.normal_()
    meta = torch.randn(11, 5, dtype=torch.float64, requires_grad=True)
    x = torch.randn(11, 6, dtype=torch.float64, requires_grad=True)
    ref = apply_node_affine(x, hyper(meta), mode, 3)
    assert torch.allclose(hyper.transform(meta, x), ref, atol=1e-10)
    if mode == "lowrank":   # the fused path is twice differentiable (the chemistry regulariser needs it)
        assert torch.autograd.gradgradcheck(hyper.transform, (meta, x))


def test_zone_table_transform_equals_applying_its_rows():
    from oxygen_hpc.nn import apply_node_affine

    table = ZoneAffineTable(4, dim=3, mode="lowrank", rank=2)
    zone, x = torch.tensor([0, 3, 1]), torch.randn(3, 3)
    assert torch.allclose(table.transform(zone, x), apply_node_affine(x, table(zone), "lowrank", 2))
