"""MLP baseline: each node on its own covariates (+ nutrients, + optional same-year neighbour-free obs inputs)."""
from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from oxygen_hpc.models.base import NodeRegressor
from oxygen_hpc.models.inputs import node_input_dim, node_inputs
from oxygen_hpc.nn import FeatureEncoder


class MLP(NodeRegressor):
    """Per-node MLP on ``[x, nutrients, masks, (obs)]``; no graph, no history.

    Args:
        in_features (int): covariate features F of ``x``.
        meta_features (int): unused (uniform constructor for the harness).
        edge_features (int): unused.
        hidden (int): width.
        layers (int): hidden layers.
        use_obs_inputs (bool): feed ``obs``/``obs_mask``.
        dropout (float): dropout between layers.
        target_mean (float), target_std (float): output scale, µmol/kg.
        use_background (bool): predict the anomaly: the batch's ``background`` (µmol/kg) is the output's offset
            (set by the data: ``PartitionDataModule(background=...)``).

    Shapes:
        - **input:** batch with N nodes
        - **output:** [N] µmol/kg
    """

    def __init__(self, in_features: int, meta_features: int = 0, edge_features: int = 0, hidden: int = 64,
                 layers: int = 3, use_obs_inputs: bool = False, dropout: float = 0.0, target_mean: float = 170.0,
                 target_std: float = 80.0,
                 use_background: bool = False) -> None:
        super().__init__(target_mean, target_std, use_background)
        self.use_obs_inputs = use_obs_inputs
        self.body = FeatureEncoder(node_input_dim(in_features, True, use_obs_inputs), hidden, layers, dropout)
        self.head = nn.Linear(hidden, 1)

    def forward(self, batch: Any) -> Tensor:
        return self.denormalise(self.head(self.body(node_inputs(batch, True, self.use_obs_inputs))), batch)
