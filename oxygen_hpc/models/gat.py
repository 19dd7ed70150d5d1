"""GAT baseline: graph attention (Veličković et al.) with edge features in the attention."""
from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch_geometric.nn import GATConv

from oxygen_hpc.models.gnn_base import GraphBaseline


class GAT(GraphBaseline):
    """Graph attention with ``heads`` heads (concatenated to ``hidden``) and ``edge_attr`` in the attention
    scores when ``edge_features > 0``. Constructor as :class:`~oxygen_hpc.models.gnn_base.GraphBaseline` plus
    ``heads``; a batch with N nodes → [N] µmol/kg.
    """

    def __init__(self, in_features: int, meta_features: int = 0, edge_features: int = 0, hidden: int = 32,
                 layers: int = 2, heads: int = 4, temporal: bool = False, use_obs_inputs: bool = False,
                 target_mean: float = 170.0, target_std: float = 80.0,
                 use_background: bool = False) -> None:
        if hidden % heads:
            raise ValueError(f"hidden ({hidden}) must be divisible by heads ({heads})")
        self.heads = heads
        super().__init__(in_features, meta_features, edge_features, hidden, layers, temporal, use_obs_inputs,
                         target_mean, target_std, use_background)

    def make_conv(self, hidden: int) -> nn.Module:
        return GATConv(hidden, hidden // self.heads, heads=self.heads,
                       edge_dim=self.edge_features if self.edge_features > 0 else None)

    def conv_forward(self, conv: nn.Module, h: Tensor, batch: Any) -> Tensor:
        if self.edge_features > 0:
            return conv(h, batch.edge_index, batch.edge_attr)
        return conv(h, batch.edge_index)
