"""Softmax-normalised edge weights from edge features."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint
from torch_geometric.utils import softmax


class SoftmaxEdgeWeight(nn.Module):
    r"""Scores every edge from its features and normalises the scores over each target's incoming edges.

    .. math::
        s_{ji} = w_2^\top \mathrm{SiLU}(W_1 e_{ji} + b_1) + b_2, \qquad
        w_{ji} = \frac{\exp s_{ji}}{\sum_{k \in \mathcal{N}(i)} \exp s_{ki}}

    so that :math:`\sum_{j \in \mathcal{N}(i)} w_{ji} = 1` for every node i with at least one incoming edge.

    Args:
        edge_features (int): size D of the edge feature vector (0 = uniform weights 1/deg).
        hidden (int): width of the scoring MLP.

    Shapes:
        - **input:** edge_attr [E, D], edge_index [2, E] (row 0 source, row 1 target), num_nodes N
        - **output:** [E] weights, non-negative, summing to 1 over each target's incoming edges
    """

    def __init__(self, edge_features: int, hidden: int = 16) -> None:
        super().__init__()
        self.edge_features = edge_features
        self.score = (nn.Sequential(nn.Linear(edge_features, hidden), nn.SiLU(), nn.Linear(hidden, 1))
                      if edge_features > 0 else None)

    def forward(self, edge_attr: Optional[Tensor], edge_index: Tensor, num_nodes: int) -> Tensor:
        target = edge_index[1]
        if self.score is None or edge_attr is None:
            dtype = edge_attr.dtype if edge_attr is not None else torch.get_default_dtype()
            scores = torch.zeros(target.shape[0], dtype=dtype, device=target.device)
        elif torch.is_grad_enabled() and edge_attr.requires_grad is False and self.training:
            # recomputed in the backward rather than keeping two [E, hidden] activations (37 MB per layer on a
            # 300,000-edge partition); the scores do not depend on the nodes, so this costs one extra small MLP
            scores = checkpoint(self.score, edge_attr, use_reentrant=False).squeeze(-1)
        else:
            scores = self.score(edge_attr).squeeze(-1)
        return softmax(scores, target, num_nodes=num_nodes)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.edge_features})"
