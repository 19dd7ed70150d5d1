import pytest
import torch

from oxygen_hpc.nn import weighted_aggregate


pytestmark = pytest.mark.usefixtures("one_thread")   # tests/oxygen_hpc/conftest.py


def _random_graph(seed: int, n: int, e: int, dim: int = 4):
    torch.manual_seed(seed)
    src, dst = torch.randint(0, n, (2, e))
    return src, dst, torch.randn(n, dim, requires_grad=True), torch.rand(e, requires_grad=True)


def test_matches_index_add_reference_and_gradients():
    n = 9
    src, dst, h, w = _random_graph(0, n, 30)
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


def test_csr_path_equals_index_add_for_sorted_and_unsorted_edges():
    from oxygen_hpc.nn.weighted_aggregate import _sum_csr, _sum_index_add, sort_by_target

    torch.manual_seed(2)
    n_src, n_dst, e = 40, 35, 300
    src, dst = torch.randint(0, n_src, (e,)), torch.randint(0, n_dst - 3, (e,))   # last targets get no edge
    h, w = torch.randn(n_src, 8), torch.rand(e)
    ref = _sum_index_add(h, w, src, dst, n_dst)
    assert torch.allclose(_sum_csr(h, w, src, dst, n_dst), ref, atol=1e-6)
    ei, w_sorted = sort_by_target(torch.stack([src, dst]), w)
    assert bool((ei[1][1:] >= ei[1][:-1]).all())
    assert torch.allclose(_sum_csr(h, w_sorted, ei[0], ei[1], n_dst), ref, atol=1e-6)
    assert torch.equal(ref[-3:], torch.zeros(3, 8))


def test_double_backward_through_csr_matches_reference():
    n = 12
    src, dst, h, w = _random_graph(3, n, 50)

    def penalty(agg):
        out = agg(h, w).pow(2).sum()
        (g,) = torch.autograd.grad(out, h, create_graph=True)
        return g.pow(2).sum()

    ours = penalty(lambda a, b: weighted_aggregate(a, b, src, dst, n))
    ref = penalty(lambda a, b: torch.zeros(n, 4).index_add(0, dst, a[src] * b[:, None]))
    assert torch.allclose(ours, ref, rtol=1e-5)
    assert all(torch.allclose(x, y, rtol=1e-4, atol=1e-5)
               for x, y in zip(torch.autograd.grad(ours, (h, w)), torch.autograd.grad(ref, (h, w))))
