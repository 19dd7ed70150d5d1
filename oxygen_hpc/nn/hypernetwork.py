"""Hypernetwork: a node's meta vector (zone descriptors) → the parameters of its affine transform."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from oxygen_hpc.nn.affine import affine_param_size


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

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.meta_features}, dim={self.dim}, mode={self.mode!r}, "
                f"rank={self.rank})")
