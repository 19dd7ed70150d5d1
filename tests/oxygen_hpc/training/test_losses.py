import math

import pytest

import torch
from torch_geometric.data import Data

from oxygen_hpc.models import MLP, OxyGenerator
from oxygen_hpc.training.losses import masked_mse, redfield_slope, regularised_loss


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/oxygen_hpc/conftest.py


def _batch(n=40, seed=0, dtype=torch.float64, nutrient_share=0.5):
    g = torch.Generator().manual_seed(seed)
    e = 4 * n
    nut_mask = (torch.rand(n, 2, generator=g) < nutrient_share).to(dtype)
    y = 170 + 50 * torch.randn(n, generator=g, dtype=dtype)
    y[torch.rand(n, generator=g) < 0.4] = float("nan")
    return Data(
        x=torch.randn(n, 4, generator=g, dtype=dtype), meta=torch.randn(n, 3, generator=g, dtype=dtype),
        series=torch.randn(n, 11, generator=g, dtype=dtype),
        series_mask=(torch.rand(n, 11, generator=g) < 0.3).to(dtype),
        nutrients=torch.randn(n, 2, generator=g, dtype=dtype) * nut_mask, nutrients_mask=nut_mask,
        obs=torch.zeros(n, dtype=dtype), obs_mask=torch.zeros(n, dtype=dtype), y=y,
        owned=torch.rand(n, generator=g) < 0.8, edge_index=torch.randint(0, n, (2, e), generator=g),
        edge_attr=torch.randn(e, 2, generator=g, dtype=dtype), zone=torch.tensor([0]))


def _model(seed=0):
    torch.manual_seed(seed)
    return OxyGenerator(4, 3, 2, hidden=8, layers=2, rank=2).double()


def test_mse_uses_only_owned_finite_targets_in_normalised_units():
    b = _batch()
    pred = torch.where(torch.isfinite(b.y), b.y, torch.zeros_like(b.y)) + 8.0
    pred[~b.owned] = 1e6                       # halo nodes must not count
    assert math.isclose(float(masked_mse(pred, b, target_std=80.0)), (8.0 / 80.0) ** 2, rel_tol=1e-9)


def test_regulariser_matches_central_finite_differences():
    b = _batch()
    model = _model()
    _, parts = regularised_loss(model, b, lam=1.0)
    nut = b.nutrients.detach().clone()
    eps = 1e-5
    for col, name in ((0, "reg_po4"), (1, "reg_no3")):
        idx = b.nutrients_mask[:, col].nonzero().squeeze(-1)
        fd = []
        with torch.no_grad():
            for i in idx.tolist():
                plus, minus = nut.clone(), nut.clone()
                plus[i, col] += eps
                minus[i, col] -= eps
                b.nutrients = plus
                yp = model(b).sum() / model.target_std
                b.nutrients = minus
                ym = model(b).sum() / model.target_std
                fd.append(float((yp - ym) / (2 * eps)))
        fd_var = torch.tensor(fd, dtype=torch.float64).var(unbiased=False)
        assert float(fd_var) > 1e-9
        assert abs(float(parts[name]) - float(fd_var)) < 1e-4 * float(fd_var) + 1e-12


def test_regulariser_is_differentiable_and_changes_parameter_gradients():
    b = _batch()
    model = _model()
    total0, _ = regularised_loss(model, b, lam=0.0)
    g0 = torch.autograd.grad(total0, model.encoder.net[0].weight)[0]
    b = _batch()
    total1, parts = regularised_loss(model, b, lam=10.0)
    g1 = torch.autograd.grad(total1, model.encoder.net[0].weight)[0]
    assert parts["reg_po4"] > 0 and parts["reg_no3"] > 0
    assert not torch.allclose(g0, g1)


def test_no_nutrient_nodes_gives_zero_regulariser_and_plain_mse():
    b = _batch(nutrient_share=0.0)
    model = _model()
    total, parts = regularised_loss(model, b, lam=5.0, redfield_anchor=-1.7)
    assert float(parts["reg_po4"]) == 0 and float(parts["reg_no3"]) == 0 and float(parts["anchor"]) == 0
    assert torch.isclose(total, masked_mse(model(b), b, model.target_std))
    total.backward()


def test_model_ignoring_nutrients_gets_zero_regulariser():
    from oxygen_hpc.models import BiLSTM
    b = _batch(dtype=torch.float32)
    total, parts = regularised_loss(BiLSTM(4), b, lam=1.0)
    assert float(parts["reg_po4"]) == 0
    total.backward()


def test_redfield_anchor_conversion_and_pull():
    assert math.isclose(redfield_slope(0.8, 80.0), -1.7)
    b = _batch(nutrient_share=0.9)
    model = _model()
    _, parts = regularised_loss(model, b, lam=1.0, redfield_anchor=-1.7)
    assert math.isclose(float(parts["anchor"]), (float(parts["grad_po4_mean"]) + 1.7) ** 2, rel_tol=1e-9)
    # training on the anchor alone moves the mean sensitivity toward the Redfield slope
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = abs(float(parts["grad_po4_mean"]) + 1.7)
    for _ in range(60):
        opt.zero_grad()
        b.y = torch.full_like(b.y, float("nan"))
        total, parts = regularised_loss(model, b, lam=1.0, redfield_anchor=-1.7)
        total.backward()
        opt.step()
    assert abs(float(parts["grad_po4_mean"]) + 1.7) < 0.2 * start


def test_regularised_loss_with_mlp_baseline_runs():
    b = _batch(dtype=torch.float32)
    total, parts = regularised_loss(MLP(4), b, lam=1.0)
    total.backward()
    assert parts["n_targets"] == int((torch.isfinite(b.y) & b.owned).sum())
