"""Discrete zoning: one learned affine transform per zone id (the ablation of the hypernetwork)."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from oxygen_hpc.nn.affine import affine_param_size, apply_node_affine


class ZoneAffineTable(nn.Module):
    r"""A table of affine parameters, one row per zone: node i gets the row of its zone id :math:`z_i`.

    This is the "discrete" zoning of the ablation: no hypernetwork, no sharing between zones except through
    the layer's shared weights. The output has the same layout as
    :class:`~oxygen_hpc.nn.hypernetwork.ZoneHypernetwork`, so the two are interchangeable in
    :class:`~oxygen_hpc.nn.conv.ZoningVaryingConv`.

    Args:
        num_zones (int): number of distinct zone ids (ids must lie in ``[0, num_zones)``).
        dim (int): size D of the hidden vector the affine acts on.
        mode (str): ``"full"``, ``"lowrank"`` or ``"diag"`` (see :mod:`oxygen_hpc.nn.affine`).
        rank (int): rank of the low-rank correction.
        init_scale (float): standard deviation of the initial corrections (0 = identity).

    Shapes:
        - **input:** zone ids [N] (long)
        - **output:** [N, P], P = ``affine_param_size(D, mode, rank)``
    """

    def __init__(self, num_zones: int, dim: int, mode: str = "lowrank", rank: int = 4,
                 init_scale: float = 0.01) -> None:
        super().__init__()
        if num_zones < 1:
            raise ValueError(f"num_zones must be >= 1, got {num_zones}")
        self.num_zones, self.dim, self.mode, self.rank = num_zones, dim, mode, rank
        self.out_features = affine_param_size(dim, mode, rank)
        self.table = nn.Embedding(num_zones, self.out_features)
        with torch.no_grad():
            self.table.weight.normal_(0.0, init_scale)
            if mode == "lowrank":
                dr = dim * rank
                start = dim + dr
                self.table.weight[:, start: start + dr].normal_(0.0, 1.0 / math.sqrt(dim))
                self.table.weight[:, dim: dim + dr].normal_(0.0, init_scale)

    def forward(self, zone: Tensor) -> Tensor:
        zone = zone.long()
        if zone.numel() and (int(zone.min()) < 0 or int(zone.max()) >= self.num_zones):
            raise ValueError(f"zone ids must lie in [0, {self.num_zones}), got [{int(zone.min())}, {int(zone.max())}]")
        return self.table(zone)

    def transform(self, zone: Tensor, x: Tensor) -> Tensor:
        """``α_z x + β_z`` per node (same interface as :meth:`ZoneHypernetwork.transform`). Shapes: zone [N],
        x [N, D] → [N, D]."""
        return apply_node_affine(x, self(zone), self.mode, self.rank)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.num_zones}, dim={self.dim}, mode={self.mode!r}, rank={self.rank})"
