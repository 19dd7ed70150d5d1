"""GCN baseline: Graph convolution (Kipf & Welling), symmetric-normalised with self-loops; ignores edge features."""
from __future__ import annotations

from torch import nn
from torch_geometric.nn import GCNConv

from oxygen_hpc.models.gnn_base import GraphBaseline


class GCN(GraphBaseline):
    """Graph convolution (Kipf & Welling), symmetric-normalised with self-loops; ignores edge features.

    Same constructor and shapes as :class:`~oxygen_hpc.models.gnn_base.GraphBaseline`: a batch with N nodes
    → [N] µmol/kg.
    """

    def make_conv(self, hidden: int) -> nn.Module:
        return GCNConv(hidden, hidden)
