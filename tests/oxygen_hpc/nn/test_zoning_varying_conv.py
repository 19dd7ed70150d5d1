import pytest
import torch

from oxygen_hpc.nn import ZoneHypernetwork, ZoningVaryingConv, affine_param_size, apply_node_affine
from oxygen_hpc.nn.affine import pack_affine_params


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/oxygen_hpc/conftest.py


def _graph(n=7, e=18, d=3, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n, (2, e), generator=g)
    return edge_index, torch.randn(e, d, generator=g, dtype=dtype)


def test_output_shape_and_residual_for_every_mode():
    edge_index, edge_attr = _graph()
    h = torch.randn(7, 8)
    for mode in ("full", "lowrank", "diag"):
        conv = ZoningVaryingConv(8, 3, mode=mode, rank=2)
        params = torch.randn(7, affine_param_size(8, mode, 2))
        out = conv(h, edge_index, edge_attr, params)
        assert out.shape == (7, 8)
        assert not torch.allclose(out, h)


def test_node_without_incoming_edges_keeps_residual_plus_bias_only():
    edge_index = torch.tensor([[0, 1], [1, 0]])           # node 2 receives nothing
    conv = ZoningVaryingConv(4, 2, mode="diag")
    h = torch.randn(3, 4)
    params = torch.randn(3, affine_param_size(4, "diag"))
    out = conv(h, edge_index, torch.randn(2, 2), params)
    beta = params[:, 4:]
    assert torch.allclose(out[2], h[2] + torch.nn.functional.silu(beta[2]), atol=1e-6)


def test_gradcheck_float64_wrt_inputs_and_affine_params():
    edge_index, edge_attr = _graph(n=5, e=12, dtype=torch.float64)
    for mode in ("full", "lowrank"):
        conv = ZoningVaryingConv(3, 3, mode=mode, rank=2, edge_hidden=4).double()
        h = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
        ea = edge_attr.clone().requires_grad_(True)
        params = (0.3 * torch.randn(5, affine_param_size(3, mode, 2), dtype=torch.float64)).requires_grad_(True)
        f = lambda h_, ea_, p_: conv(h_, edge_index, ea_, p_)  # noqa: E731
        assert torch.autograd.gradcheck(f, (h, ea, params), eps=1e-6, atol=1e-5)
    # second order (the regulariser differentiates through the layer's gradient), fast mode
    assert torch.autograd.gradgradcheck(f, (h, ea, params), eps=1e-6, atol=1e-4, fast_mode=True)


def test_lowrank_at_full_rank_equals_full_alpha():
    torch.manual_seed(1)
    n, dim = 6, 5
    edge_index, edge_attr = _graph(n=n, e=15)
    a = torch.randn(n, dim, dim)
    beta = torch.randn(n, dim)
    full = pack_affine_params("full", a, beta)
    eye = torch.eye(dim).expand(n, dim, dim)
    # U = A, V = I  ⇒  U Vᵀ = A; factors stored factor-major (u[n] = Uᵀ)
    low = pack_affine_params("lowrank", torch.zeros(n, dim), a.transpose(1, 2), eye, beta)
    h = torch.randn(n, dim)
    assert torch.allclose(apply_node_affine(h, full, "full"), apply_node_affine(h, low, "lowrank", dim), atol=1e-6)
    conv_full = ZoningVaryingConv(dim, 3, mode="full")
    conv_low = ZoningVaryingConv(dim, 3, mode="lowrank", rank=dim)
    conv_low.load_state_dict(conv_full.state_dict())
    out_full = conv_full(h, edge_index, edge_attr, full)
    out_low = conv_low(h, edge_index, edge_attr, low)
    assert torch.allclose(out_full, out_low, atol=1e-6)


def test_lowrank_hypernetwork_reproduces_full_hypernetwork():
    torch.manual_seed(2)
    meta_features, dim = 4, 3
    full = ZoneHypernetwork(meta_features, dim, mode="full")
    low = ZoneHypernetwork(meta_features, dim, mode="lowrank", rank=dim)
    low.body.load_state_dict(full.body.state_dict())
    with torch.no_grad():
        w_a, b_a = full.out.weight[: dim * dim], full.out.bias[: dim * dim]
        # A rows i, cols j → factor-major U: u[k=j, i] = A[i, j]
        perm = torch.arange(dim * dim).reshape(dim, dim).t().reshape(-1)
        low.out.weight.zero_()
        low.out.bias.zero_()
        low.out.weight[dim: dim + dim * dim] = w_a[perm]
        low.out.bias[dim: dim + dim * dim] = b_a[perm]
        low.out.bias[dim + dim * dim: dim + 2 * dim * dim] = torch.eye(dim).reshape(-1)
        low.out.weight[-dim:] = full.out.weight[-dim:]
        low.out.bias[-dim:] = torch.randn(dim)
        full.out.bias[-dim:] = low.out.bias[-dim:]
    meta, h = torch.randn(10, meta_features), torch.randn(10, dim)
    out_full = apply_node_affine(h, full(meta), "full")
    out_low = apply_node_affine(h, low(meta), "lowrank", dim)
    assert torch.allclose(out_full, out_low, atol=1e-6)
