import pytest
import torch

from oxygen_hpc.nn import weighted_aggregate


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_matches_index_add_reference_and_gradients():
    torch.manual_seed(0)
    n, e = 9, 30
    src, dst = torch.randint(0, n, (2, e))
    h = torch.randn(n, 4, requires_grad=True)
    w = torch.rand(e, requires_grad=True)
    out = weighted_aggregate(h, w, src, dst, n)
    ref = torch.zeros(n, 4).index_add(0, dst, h[src] * w[:, None])
    assert torch.allclose(out, ref, atol=1e-6)
    g = torch.randn(n, 4)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(torch.autograd.grad(out, (h, w), g),
                                                               torch.autograd.grad(ref, (h, w), g)))


def test_gradcheck_and_gradgradcheck_float64():
    torch.manual_seed(1)
    n, e = 5, 12
    src, dst = torch.randint(0, n, (2, e))
    h = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    w = torch.rand(e, dtype=torch.float64, requires_grad=True)
    f = lambda h_, w_: weighted_aggregate(h_, w_, src, dst, n)  # noqa: E731
    assert torch.autograd.gradcheck(f, (h, w))
    assert torch.autograd.gradgradcheck(f, (h, w))
