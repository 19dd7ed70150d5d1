"""Memory-lean weighted neighbour sum ``m_i = Σ_j w_ji h_j`` that stays twice differentiable."""
from __future__ import annotations

from typing import Any, Tuple

import torch
from torch import Tensor


class _WeightedAggregate(torch.autograd.Function):
    """out[dst_e] += w_e · h[src_e]. Saves only h and w (not the [E, D] messages); the backward is written
    with differentiable ops (itself, transposed, and a row-wise dot) so higher-order gradients work."""

    @staticmethod
    def forward(ctx: Any, h: Tensor, w: Tensor, src: Tensor, dst: Tensor, num_nodes: int) -> Tensor:
        ctx.save_for_backward(h, w, src, dst)
        ctx.num_in = h.shape[0]
        return h.new_zeros(num_nodes, h.shape[1]).index_add_(0, dst, h.index_select(0, src) * w.unsqueeze(-1))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tuple[Any, ...]:
        h, w, src, dst = ctx.saved_tensors
        grad_h = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_h = weighted_aggregate(grad_out, w, dst, src, ctx.num_in)
        if ctx.needs_input_grad[1]:
            grad_w = (grad_out.index_select(0, dst) * h.index_select(0, src)).sum(-1)
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
    is 38 MB per layer, more in the regulariser's double backward).
    """
    return _WeightedAggregate.apply(h, w, src, dst, num_nodes)
