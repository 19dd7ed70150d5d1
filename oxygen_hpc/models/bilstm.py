"""BiLSTM baseline: the node's DO series (t−5 … t+5) and its covariates ``x``."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from oxygen_hpc.models.base import NodeRegressor
from oxygen_hpc.models.inputs import series_inputs
from oxygen_hpc.nn import TemporalEncoder


class BiLSTM(NodeRegressor):
    """BiLSTM over the series, concatenated with a linear embedding of ``x``, then a linear head.

    Args:
        in_features (int): covariate features F of ``x``.
        meta_features (int), edge_features (int): unused.
        hidden (int): LSTM output width (even).
        target_mean (float), target_std (float): output scale, µmol/kg.
        use_background (bool): predict the anomaly: the batch's ``background`` (µmol/kg) is the output's offset
            (set by the data: ``PartitionDataModule(background=...)``).

    Shapes:
        - **input:** batch with N nodes
        - **output:** [N] µmol/kg
    """

    def __init__(self, in_features: int, meta_features: int = 0, edge_features: int = 0, hidden: int = 32,
                 target_mean: float = 170.0, target_std: float = 80.0,
                 use_background: bool = False) -> None:
        super().__init__(target_mean, target_std, use_background)
        self.temporal = TemporalEncoder(hidden)
        self.embed = nn.Linear(in_features, hidden)
        self.head = nn.Sequential(nn.SiLU(), nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, batch: Any) -> Tensor:
        series, mask = series_inputs(batch)
        h = torch.cat([self.temporal(series, mask), self.embed(batch.x)], dim=-1)
        return self.denormalise(self.head(h), batch)
