"""GraphSAGE baseline: GraphSAGE with mean aggregation (Hamilton et al.); ignores edge features."""
from __future__ import annotations

from torch import nn
from torch_geometric.nn import SAGEConv

from oxygen_hpc.models.gnn_base import GraphBaseline


class GraphSAGE(GraphBaseline):
    """GraphSAGE with mean aggregation (Hamilton et al.); ignores edge features.

    Same constructor and shapes as :class:`~oxygen_hpc.models.gnn_base.GraphBaseline`: a batch with N nodes
    → [N] µmol/kg.
    """

    def make_conv(self, hidden: int) -> nn.Module:
        return SAGEConv(hidden, hidden)
