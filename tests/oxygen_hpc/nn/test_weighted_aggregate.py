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


def test_segment_sum_equals_index_add_for_sorted_unsorted_and_empty_edges():
    """The deterministic (CUDA) path computes the same sum; run here on CPU, where it is not used by default."""
    from oxygen_hpc.nn.weighted_aggregate import _sum_index_add, _sum_segment, sort_by_target

    torch.manual_seed(4)
    n_src, n_dst, e = 40, 35, 300
    src, dst = torch.randint(0, n_src, (e,)), torch.randint(0, n_dst - 3, (e,))   # last targets get no edge
    for dtype in (torch.float32, torch.float64):
        h, w = torch.randn(n_src, 8, dtype=dtype), torch.rand(e, dtype=dtype)
        ref = _sum_index_add(h, w, src, dst, n_dst)
        assert torch.allclose(_sum_segment(h, w, src, dst, n_dst), ref, atol=1e-6)
        ei, w_sorted = sort_by_target(torch.stack([src, dst]), w)
        assert torch.allclose(_sum_segment(h, w_sorted, ei[0], ei[1], n_dst), ref, atol=1e-6)
    empty = torch.zeros(0, dtype=torch.long)
    assert torch.equal(_sum_segment(torch.randn(3, 2), torch.zeros(0), empty, empty, 4), torch.zeros(4, 2))


def test_deterministic_mode_leaves_the_cpu_path_unchanged():
    n = 30
    src, dst, h, w = _random_graph(5, n, 200)
    before = weighted_aggregate(h, w, src, dst, n)
    torch.use_deterministic_algorithms(True)
    try:
        after = weighted_aggregate(h, w, src, dst, n)
    finally:
        torch.use_deterministic_algorithms(False)
    assert torch.equal(before, after)


@pytest.mark.gpu
def test_cuda_deterministic_mode_gives_the_same_bits_every_run_to_second_order():
    """On CUDA, index_add's atomics add in a varying order; under deterministic algorithms the segment sum does
    not: the output and the regulariser's double-backward gradients are bitwise equal over runs, and they
    agree with the float64 CPU reference."""
    dev = torch.device("cuda")
    n, e, d = 45_000, 300_000, 64
    g = torch.Generator().manual_seed(6)
    src, dst = torch.randint(0, n, (e,), generator=g), torch.randint(0, n, (e,), generator=g)
    h0, w0 = torch.randn(n, d, generator=g), torch.rand(e, generator=g)

    def run(device, dtype):
        h = h0.to(device, dtype).requires_grad_(True)
        w = w0.to(device, dtype).requires_grad_(True)
        out = weighted_aggregate(h, w, src.to(device), dst.to(device), n)
        (gh,) = torch.autograd.grad(out.pow(2).sum(), h, create_graph=True)
        gh2, gw2 = torch.autograd.grad(gh.pow(2).sum(), (h, w))
        return [t.detach().double().cpu() for t in (out, gh, gh2, gw2)]

    torch.use_deterministic_algorithms(True)
    try:
        runs = {dtype: (run(dev, dtype), run(dev, dtype)) for dtype in (torch.float32, torch.bfloat16)}
    finally:
        torch.use_deterministic_algorithms(False)
    for dtype, (a, b) in runs.items():
        assert all(torch.equal(x, y) for x, y in zip(a, b)), dtype
    ref = run(torch.device("cpu"), torch.float64)
    for x, r in zip(runs[torch.float32][0], ref):
        assert (x - r).norm() / r.norm() < 1e-4
    small = dict(src=src[:40].remainder(7).to(dev), dst=dst[:40].remainder(7).to(dev))
    hs = torch.randn(7, 3, dtype=torch.float64, device=dev, requires_grad=True)
    ws = torch.rand(40, dtype=torch.float64, device=dev, requires_grad=True)
    torch.use_deterministic_algorithms(True)
    try:
        f = lambda h_, w_: weighted_aggregate(h_, w_, small["src"], small["dst"], 7)  # noqa: E731
        assert torch.autograd.gradcheck(f, (hs, ws)) and torch.autograd.gradgradcheck(f, (hs, ws))
    finally:
        torch.use_deterministic_algorithms(False)
