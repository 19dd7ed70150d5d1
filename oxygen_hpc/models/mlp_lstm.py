"""MLP + LSTM baseline: the OxyGenerator encoders without message passing."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from oxygen_hpc.models.base import NodeRegressor
from oxygen_hpc.models.inputs import node_input_dim, node_inputs, series_inputs
from oxygen_hpc.nn import FeatureEncoder, TemporalEncoder


class MLPLSTM(NodeRegressor):
    """Feature MLP on ``[x, nutrients, masks, (obs)]`` ‖ BiLSTM on the series → MLP head.

    Args:
        in_features (int): covariate features F of ``x``.
        meta_features (int), edge_features (int): unused.
        hidden (int): width of both encoders.
        layers (int): layers of the feature MLP.
        use_obs_inputs (bool): feed ``obs``/``obs_mask``.
        target_mean (float), target_std (float): output scale, µmol/kg.
        use_background (bool): predict the anomaly: the batch's ``background`` (µmol/kg) is the output's offset
            (set by the data: ``PartitionDataModule(background=...)``).

    Shapes:
        - **input:** batch with N nodes
        - **output:** [N] µmol/kg
    """

    def __init__(self, in_features: int, meta_features: int = 0, edge_features: int = 0, hidden: int = 32,
                 layers: int = 2, use_obs_inputs: bool = False, target_mean: float = 170.0,
                 target_std: float = 80.0,
                 use_background: bool = False) -> None:
        super().__init__(target_mean, target_std, use_background)
        self.use_obs_inputs = use_obs_inputs
        self.encoder = FeatureEncoder(node_input_dim(in_features, True, use_obs_inputs), hidden, layers)
        self.temporal = TemporalEncoder(hidden)
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, batch: Any) -> Tensor:
        series, mask = series_inputs(batch)
        h = torch.cat([self.encoder(node_inputs(batch, True, self.use_obs_inputs)), self.temporal(series, mask)], -1)
        return self.denormalise(self.head(h), batch)
