"""Hypernetwork: a node's meta vector (zone descriptors) → the parameters of its affine transform."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from oxygen_hpc.nn.affine import affine_param_size, apply_node_affine


class ZoneHypernetwork(nn.Module):
    r"""Maps each node's meta vector to the flat parameters of its own affine map :math:`h ↦ α h + β`.

    .. math::
        z_i = \mathrm{SiLU}(W_2\,\mathrm{SiLU}(W_1 m_i)), \qquad
        (α_i, β_i) = \mathrm{split}(W_o z_i + b_o)

    α is parametrised as in :mod:`oxygen_hpc.nn.affine` (identity + full / low-rank / diagonal correction),
    so at initialisation every node's transform is close to the identity. The low-rank factors U and V come
    from separate output rows; V's bias starts random so that the U Vᵀ term is not stuck at a saddle (both 0).

    Args:
        meta_features (int): size M of the meta vector.
        dim (int): size D of the hidden vector the generated affine acts on.
        mode (str): ``"full"`` (D×D α per node), ``"lowrank"`` (I + diag(d) + U Vᵀ) or ``"diag"``.
        rank (int): rank r of U Vᵀ for ``"lowrank"``.
        hidden (int): width of the hypernetwork's hidden layers.
        init_scale (float): scale of the output layer's initial weights (small = near identity).

    Shapes:
        - **input:** meta [N, M]
        - **output:** [N, P], P = ``affine_param_size(D, mode, rank)``
    """

    def __init__(self, meta_features: int, dim: int, mode: str = "lowrank", rank: int = 4, hidden: int = 32,
                 init_scale: float = 0.1) -> None:
        super().__init__()
        self.meta_features, self.dim, self.mode, self.rank = meta_features, dim, mode, rank
        self.out_features = affine_param_size(dim, mode, rank)
        self.body = nn.Sequential(nn.Linear(meta_features, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.out = nn.Linear(hidden, self.out_features)
        self.reset_output(init_scale)

    def reset_output(self, init_scale: float = 0.1) -> None:
        with torch.no_grad():
            self.out.weight.mul_(init_scale)
            self.out.bias.zero_()
            if self.mode == "lowrank":
                dr = self.dim * self.rank
                start = self.dim + dr
                self.out.bias[start: start + dr].normal_(0.0, 1.0 / math.sqrt(self.dim))

    def forward(self, meta: Tensor) -> Tensor:
        return self.out(self.body(meta))

    def transform(self, meta: Tensor, x: Tensor) -> Tensor:
        """``α_i x_i + β_i`` for every node, the same as ``apply_node_affine(x, self(meta), mode, rank)``.

        For ``"lowrank"`` the [N, P] parameters (P = 2D(r + 1): 640 numbers per node at D = 64, r = 4) are never
        built: with z = body(meta) and the output layer's rows for V and U read as [r, D, H] tensors,
        ``Vᵀx = ⟨x W_V, z⟩ + b_Vᵀx`` and ``U(Vᵀx) = ((Vᵀx) ⊗ z) W_U + b_U(Vᵀx)``: three small matmuls on
        [N, rH] tensors instead of one [N, P] output and four [N, r, D] products (fewer bytes moved, less kept
        for the backward; ``F.bilinear`` would keep even less but its backward is 4x slower on CPU). Exact up to
        float summation order; twice differentiable.

        Shapes:
            - **input:** meta [N, M], x [N, D]
            - **output:** [N, D]
        """
        z = self.body(meta)
        if self.mode != "lowrank":
            return apply_node_affine(x, self.out(z), self.mode, self.rank)
        n, dim, r, hid = x.shape[0], self.dim, self.rank, z.shape[1]
        w_d, w_u, w_v, w_b = self.out.weight.split([dim, dim * r, dim * r, dim], 0)
        b_d, b_u, b_v, b_b = self.out.bias.split([dim, dim * r, dim * r, dim], 0)
        d, beta = F.linear(z, torch.cat([w_d, w_b]), torch.cat([b_d, b_b])).split([dim, dim], -1)
        # s_k = Σ_j V_kj x_j with V_kj = Σ_h W_V[k, j, h] z_h + b_V[k, j]
        xv = x @ w_v.view(r, dim, hid).permute(1, 0, 2).reshape(dim, r * hid)          # [N, rH]
        s = (xv.view(n, r, hid) * z.unsqueeze(1)).sum(-1) + x @ b_v.view(r, dim).t()   # [N, r]
        # (U s)_j = Σ_k U_kj s_k with U_kj = Σ_h W_U[k, j, h] z_h + b_U[k, j]
        sz = (s.unsqueeze(-1) * z.unsqueeze(1)).reshape(n, r * hid)                      # [N, rH]
        us = sz @ w_u.view(r, dim, hid).permute(0, 2, 1).reshape(r * hid, dim) + s @ b_u.view(r, dim)
        return torch.addcmul(x + us + beta, d, x)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.meta_features}, dim={self.dim}, mode={self.mode!r}, "
                f"rank={self.rank})")
