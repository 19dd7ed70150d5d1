"""Memory-lean weighted neighbour sum ``m_i = Σ_j w_ji h_j`` that stays twice differentiable."""
from __future__ import annotations

import warnings
from typing import Any, Tuple

import torch
from torch import Tensor

_CSR_DTYPES = (torch.float32, torch.float64)


def _sum_index_add(h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
    return h.new_zeros(num_nodes, h.shape[1]).index_add_(0, dst, h.index_select(0, src) * w.unsqueeze(-1))


def _sum_csr(h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
    """The same sum as one sparse (CSR) × dense product: rows = targets. Edges already ordered by target (as
    :func:`sort_by_target` leaves them) are used as they are, others are sorted first (stable, so each row keeps
    its edges' order)."""
    adj, _ = _csr_pattern(dst, src, num_nodes, h.shape[0], w)
    return adj @ h.contiguous()


def _csr_pattern(rows: Tensor, cols: Tensor, num_rows: int, num_cols: int, values: Tensor):
    """(CSR matrix with ``values`` at (rows, cols), or None if ``rows`` is already sorted, else the order that sorts
    the edges by row). The matrix's values follow the sorted order."""
    order = None
    if rows.numel() > 1 and not bool((rows[1:] >= rows[:-1]).all()):
        order = torch.argsort(rows, stable=True)
        rows, cols, values = rows[order], cols[order], values[order]
    crow = torch.searchsorted(rows, torch.arange(num_rows + 1, dtype=rows.dtype, device=rows.device))
    with warnings.catch_warnings():        # "sparse CSR support is in beta": the kernels used here are stable
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, cols, values.contiguous(), size=(num_rows, num_cols)), order


def _use_csr(a: Tensor, b: Tensor, other: Tensor) -> bool:
    return (a.device.type == "cpu" and a.dtype in _CSR_DTYPES and b.dtype == a.dtype == other.dtype
            and a.shape[0] > 0 and b.shape[0] > 0)


def _sum_segment(h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
    """The same sum without atomics: messages ordered by target (stable sort, skipped when the edges already
    are), then one segment sum per target (``torch.segment_reduce``), so every target adds its in-edges in one
    fixed order and the result is bitwise reproducible on CUDA."""
    if dst.numel() > 1 and not bool((dst[1:] >= dst[:-1]).all()):
        order = torch.argsort(dst, stable=True)
        src, dst, w = src[order], dst[order], w[order]
    msgs = h.index_select(0, src) * w.unsqueeze(-1)
    offsets = torch.searchsorted(dst, torch.arange(num_nodes + 1, dtype=dst.dtype, device=dst.device))
    return torch.segment_reduce(msgs, "sum", offsets=offsets, axis=0, initial=0)


def _deterministic(t: Tensor) -> bool:
    return t.device.type != "cpu" and torch.are_deterministic_algorithms_enabled()


def _sum(h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
    """CPU: CSR SpMM (10-15x faster than gather + multiply + index_add on one core, no [E, D] temporary);
    elsewhere (CUDA: atomics make index_add fast) and for other dtypes: index_add; on CUDA under
    ``torch.use_deterministic_algorithms(True)`` (``trainer.deterministic: true``): a sorted segment sum."""
    if num_nodes and _use_csr(h, w, w):
        return _sum_csr(h, w, src, dst, num_nodes)
    if _deterministic(h):
        return _sum_segment(h, w, src, dst, num_nodes)
    return _sum_index_add(h, w, src, dst, num_nodes)


def _dot(a: Tensor, b: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """Per edge e: ⟨a[rows_e], b[cols_e]⟩. CPU: a sampled dense-dense product on the edges' CSR pattern
    (``torch.sparse.sampled_addmm``, ~12x faster than gathering two [E, D] tensors and no [E, D] temporary)."""
    if rows.numel() and _use_csr(a, b, b):
        pattern, order = _csr_pattern(rows, cols, a.shape[0], b.shape[0], a.new_zeros(rows.shape[0]))
        vals = torch.sparse.sampled_addmm(pattern, a.contiguous(), b.t(), beta=0.0).values()
        if order is None:
            return vals
        return torch.empty_like(vals).index_copy_(0, order, vals)
    return (a.index_select(0, rows) * b.index_select(0, cols)).sum(-1)


class _EdgeDot(torch.autograd.Function):
    """d_e = ⟨a[rows_e], b[cols_e]⟩ (the gradient of a weighted aggregate with respect to its edge weights).
    Its backward is two weighted aggregates, so it is differentiable to any order without [E, D] tensors."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
        ctx.save_for_backward(a, b, rows, cols)
        return _dot(a, b, rows, cols)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Any, ...]:
        a, b, rows, cols = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = weighted_aggregate(b, grad, cols, rows, a.shape[0])
        if ctx.needs_input_grad[1]:
            grad_b = weighted_aggregate(a, grad, rows, cols, b.shape[0])
        return grad_a, grad_b, None, None


class _WeightedAggregate(torch.autograd.Function):
    """out[dst_e] += w_e · h[src_e]. Saves only h and w (not the [E, D] messages); the backward is itself
    (transposed) and an edge-wise dot product, both differentiable, so higher-order gradients work."""

    @staticmethod
    def forward(ctx: Any, h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
        ctx.save_for_backward(h, w, src, dst)
        ctx.num_in = h.shape[0]
        return _sum(h, w, src, dst, num_nodes)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tuple[Any, ...]:
        h, w, src, dst = ctx.saved_tensors
        grad_h = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_h = weighted_aggregate(grad_out, w, dst, src, ctx.num_in)
        if ctx.needs_input_grad[1]:
            grad_w = _EdgeDot.apply(grad_out, h, dst, src)
        return grad_h, grad_w, None, None, None


def weighted_aggregate(h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
    """Weighted sum of source features into targets.

    Args:
        h (Tensor): source node features.
        w (Tensor): one weight per edge.
        src (Tensor), dst (Tensor): source and target node of every edge (long).
        num_nodes (int): number of target nodes.

    Shapes:
        - **input:** h [N_src, D], w [E], src [E], dst [E]
        - **output:** [num_nodes, D]

    Equivalent to ``zeros(num_nodes, D).index_add(0, dst, h[src] * w[:, None])`` but the autograd graph keeps
    only ``h`` and ``w`` instead of the [E, D] gathered messages (on a 300,000-edge partition with D = 32 that
    is 38 MB per layer, more in the regulariser's double backward). On CPU the sum is a CSR sparse × dense
    product, fastest when the edges come ordered by target (:func:`sort_by_target`). On CUDA it is gather +
    ``index_add_`` (atomics: the order of the additions, and so the last bits, vary from run to run), or, when
    deterministic algorithms are on (``torch.use_deterministic_algorithms(True)``, Lightning's
    ``trainer.deterministic: true``), a sorted segment sum that gives the same bits on every run.
    """
    return _WeightedAggregate.apply(h, w, src, dst, num_nodes)


def sort_by_target(edge_index: Tensor, *edge_tensors: Tensor) -> tuple[Tensor, ...]:
    """``edge_index`` [2, E] and any per-edge tensors reordered by (target, source): a graph's in-edges
    become contiguous, so :func:`weighted_aggregate` needs no sort of its own. Node order is unchanged, so
    predictions are the same up to float summation order."""
    if edge_index.shape[1] < 2:
        return (edge_index, *edge_tensors)
    n = int(edge_index.max()) + 1
    order = torch.argsort(edge_index[1] * n + edge_index[0])
    return (edge_index[:, order], *(t[order] for t in edge_tensors))
