"""Zoning-varying message passing (the OxyGenerator layer)."""
from __future__ import annotations

from typing import Callable, Optional, Union

from torch import Tensor, nn

from oxygen_hpc.nn.affine import affine_param_size, apply_node_affine
from oxygen_hpc.nn.edge_weight import SoftmaxEdgeWeight
from oxygen_hpc.nn.weighted_aggregate import weighted_aggregate


class ZoningVaryingConv(nn.Module):
    r"""One zoning-varying message-passing layer with a residual connection.

    .. math::
        m_i = \sum_{j \in \mathcal{N}(i)} w_{ji}\, h_j, \qquad
        h_i' = h_i + \sigma\big(α_i\, (W m_i) + β_i\big)

    where :math:`w_{ji}` are softmax-normalised edge weights from the edge features
    (:class:`~oxygen_hpc.nn.edge_weight.SoftmaxEdgeWeight`), W is a weight shared by all nodes and
    :math:`(α_i, β_i)` is node i's own affine map, given as flat parameters produced from its meta vector by a
    :class:`~oxygen_hpc.nn.hypernetwork.ZoneHypernetwork` (or from its zone id by a
    :class:`~oxygen_hpc.nn.zone_affine.ZoneAffineTable`). Because α_i belongs to the *target* node,
    :math:`\sum_j w_{ji} α_i W h_j = α_i W m_i`: the layer aggregates first and transforms once per node, so
    its cost is O(E·D) for the aggregation plus O(N·D·r) for a rank-r α (O(N·D²) for a full α) — it never
    builds per-edge matrices. Everything is gather / scatter-add, so it is twice differentiable (the chemistry
    regulariser back-propagates through its gradient).

    Args:
        channels (int): hidden size D (input and output).
        edge_features (int): size of the edge feature vector.
        mode (str): affine parametrisation, ``"full"``, ``"lowrank"`` or ``"diag"``.
        rank (int): rank of the low-rank α.
        edge_hidden (int): width of the edge-scoring MLP.
        act (str): ``"silu"`` or ``"tanh"`` (smooth: the regulariser needs second derivatives).

    Shapes:
        - **input:** h [N, D], edge_index [2, E], edge_attr [E, F_e], affine_params [N, P] (flat (α, β) per
          node) or a callable x [N, D] ↦ α x + β [N, D] (e.g. ``functools.partial(hypernet.transform, meta)``,
          which never builds the [N, P] parameters)
        - **output:** [N, D]
    """

    def __init__(self, channels: int, edge_features: int, mode: str = "lowrank", rank: int = 4,
                 edge_hidden: int = 16, act: str = "silu") -> None:
        super().__init__()
        self.channels, self.edge_features, self.mode, self.rank = channels, edge_features, mode, rank
        self.param_size = affine_param_size(channels, mode, rank)
        self.edge_weight = SoftmaxEdgeWeight(edge_features, edge_hidden)
        self.lin = nn.Linear(channels, channels, bias=False)
        if act == "silu":
            self.act = nn.SiLU()
        elif act == "tanh":
            self.act = nn.Tanh()
        else:
            raise ValueError(f"act must be 'silu' or 'tanh', got {act!r}")

    def aggregate(self, h: Tensor, edge_index: Tensor, edge_attr: Optional[Tensor]) -> Tensor:
        """Softmax-weighted mean of incoming neighbours, [N, D]."""
        n = h.shape[0]
        src, dst = edge_index[0], edge_index[1]
        w = self.edge_weight(edge_attr, edge_index, n).to(h.dtype)
        return weighted_aggregate(h, w, src, dst, n)

    def forward(self, h: Tensor, edge_index: Tensor, edge_attr: Optional[Tensor],
                affine_params: Union[Tensor, Callable[[Tensor], Tensor]]) -> Tensor:
        m = self.lin(self.aggregate(h, edge_index, edge_attr))
        if callable(affine_params):          # a generator's ``transform`` bound to its input: x ↦ α x + β
            out = affine_params(m)
            if out.shape != m.shape:
                raise ValueError(f"the affine transform must return [{m.shape[0]}, {m.shape[1]}], "
                                 f"got {list(out.shape)}")
            return h + self.act(out)
        if affine_params.shape != (h.shape[0], self.param_size):
            raise ValueError(f"affine_params must be [{h.shape[0]}, {self.param_size}], "
                             f"got {list(affine_params.shape)}")
        return h + self.act(apply_node_affine(m, affine_params, self.mode, self.rank))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.channels}, edge_features={self.edge_features}, "
                f"mode={self.mode!r}, rank={self.rank})")
