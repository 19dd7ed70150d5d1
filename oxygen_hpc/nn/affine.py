"""Per-node affine transforms ``h ← α·h + β`` from a flat parameter vector.

A hypernetwork (:class:`~oxygen_hpc.nn.hypernetwork.ZoneHypernetwork`) or a per-zone table
(:class:`~oxygen_hpc.nn.zone_affine.ZoneAffineTable`) produces, for every node, one flat vector of
``affine_param_size(dim, mode, rank)`` numbers; :func:`apply_node_affine` reads it as (α, β) and applies it.

Parametrisations of α (all start from the identity, so a zero parameter vector is the identity map):

* ``"full"``   α = I + A,                 A ∈ R^{D×D} per node (row-major);   D² + D numbers per node.
* ``"lowrank"`` α = I + diag(d) + U Vᵀ,   d ∈ R^D, U, V ∈ R^{D×r} per node;   D + 2Dr + D numbers per node
  (U and V both generated per node; laid out factor-major, the k-th column of U is numbers D+kD … D+(k+1)D).
* ``"diag"``   α = I + diag(d);                                                2D numbers per node.

The low-rank form never builds the [N, D, D] tensor: α·h = h + d⊙h + U (Vᵀ h) costs O(N·D·r).
With r = D, d = 0, V = I and U = A (stored factor-major: ``u[n] = A.T``) the low-rank form equals the full one.
"""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor

AFFINE_MODES = ("full", "lowrank", "diag")


def affine_param_size(dim: int, mode: str = "lowrank", rank: int = 4) -> int:
    """Number of numbers per node that parametrise (α, β) for ``mode``.

    Args:
        dim (int): size D of the hidden vector the affine acts on.
        mode (str): ``"full"``, ``"lowrank"`` or ``"diag"``.
        rank (int): rank r of the ``"lowrank"`` correction (ignored otherwise).
    """
    if mode == "full":
        return dim * dim + dim
    if mode == "lowrank":
        if rank < 1:
            raise ValueError(f"rank must be >= 1, got {rank}")
        return dim + 2 * dim * rank + dim
    if mode == "diag":
        return 2 * dim
    raise ValueError(f"affine mode must be one of {AFFINE_MODES}, got {mode!r}")


def split_affine_params(params: Tensor, dim: int, mode: str = "lowrank", rank: int = 4) -> Tuple[Tensor, ...]:
    """Views of the flat parameters: ``(A, β)`` for full, ``(d, U, V, β)`` for lowrank, ``(d, β)`` for diag.

    Shapes: A [N, D, D] (row-major, A[n, i, j] acts as α_ij); d, β [N, D]; U, V stored factor-major as
    [N, r, D], i.e. ``u[n, k]`` is the k-th column of node n's U (so U Vᵀ = ``u[n].T @ v[n]``).
    """
    n = params.shape[0]
    expected = affine_param_size(dim, mode, rank)
    if params.shape[-1] != expected:
        raise ValueError(f"expected {expected} affine parameters per node for mode={mode!r}, got {params.shape[-1]}")
    # torch.split (one SplitBackward that concatenates) rather than slicing: slicing's backward allocates a
    # zero [N, P] gradient per slice, which dominated the step time of the low-rank layer.
    if mode == "full":
        a, beta = params.split([dim * dim, dim], dim=-1)
        return a.reshape(n, dim, dim), beta
    if mode == "lowrank":
        dr = dim * rank
        d, u, v, beta = params.split([dim, dr, dr, dim], dim=-1)
        return d, u.reshape(n, rank, dim), v.reshape(n, rank, dim), beta
    d, beta = params.split([dim, dim], dim=-1)
    return d, beta


def pack_affine_params(mode: str, *parts: Tensor) -> Tensor:
    """Inverse of :func:`split_affine_params` (used by tests and to build parameters by hand)."""
    n = parts[0].shape[0]
    return torch.cat([p.reshape(n, -1) for p in parts], dim=-1)


def apply_node_affine(h: Tensor, params: Tensor, mode: str = "lowrank", rank: int = 4) -> Tensor:
    """Apply each node's own affine transform to its hidden vector.

    Args:
        h (Tensor): hidden vectors.
        params (Tensor): flat per-node affine parameters (see module docstring).
        mode (str): ``"full"``, ``"lowrank"`` or ``"diag"``.
        rank (int): rank of the low-rank correction.

    Shapes:
        - **input:** h [N, D], params [N, P] with P = ``affine_param_size(D, mode, rank)``
        - **output:** [N, D]
    """
    dim = h.shape[-1]
    if mode == "full":
        a, beta = split_affine_params(params, dim, mode, rank)
        return h + (a * h.unsqueeze(1)).sum(-1) + beta
    if mode == "lowrank":
        d, u, v, beta = split_affine_params(params, dim, mode, rank)
        # broadcast-multiply and reduce (2x faster than batched bmm of tiny matrices on CPU, incl. backward)
        vh = (v * h.unsqueeze(1)).sum(-1)                # [N, r] = Vᵀ h
        uvh = (u * vh.unsqueeze(-1)).sum(1)              # [N, D] = U (Vᵀ h)
        return torch.addcmul(h + uvh + beta, d, h)
    d, beta = split_affine_params(params, dim, mode, rank)
    return h + d * h + beta
