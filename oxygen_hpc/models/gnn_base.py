"""Shared body of the PyG baselines (GCN, GAT, GraphSAGE): encoder → convs with residuals → head."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from oxygen_hpc.models.base import NodeRegressor
from oxygen_hpc.models.inputs import node_input_dim, node_inputs, series_inputs
from oxygen_hpc.nn import FeatureEncoder, TemporalEncoder


class GraphBaseline(NodeRegressor):
    """Feature MLP (‖ optional BiLSTM) → ``layers`` convolutions from :meth:`make_conv`, each
    ``h ← h + SiLU(conv(h))`` → linear head. Subclasses set :meth:`make_conv` and :meth:`conv_forward`.

    Args:
        in_features (int): covariate features F; edge_features (int): edge features (used by GAT).
        hidden (int), layers (int): width and number of convolutions.
        temporal (bool): add the BiLSTM series encoder.
        use_obs_inputs (bool): feed ``obs``/``obs_mask``.
        target_mean (float), target_std (float): output scale, µmol/kg.
        use_background (bool): predict the anomaly: the batch's ``background`` (µmol/kg) is the output's offset
            (set by the data: ``PartitionDataModule(background=...)``).
    """

    def __init__(self, in_features: int, meta_features: int = 0, edge_features: int = 0, hidden: int = 32,
                 layers: int = 2, temporal: bool = False, use_obs_inputs: bool = False,
                 target_mean: float = 170.0, target_std: float = 80.0,
                 use_background: bool = False) -> None:
        super().__init__(target_mean, target_std, use_background)
        self.edge_features, self.temporal, self.use_obs_inputs = edge_features, temporal, use_obs_inputs
        self.encoder = FeatureEncoder(node_input_dim(in_features, True, use_obs_inputs), hidden, 2)
        if temporal:
            self.temporal_encoder = TemporalEncoder(hidden)
            self.fuse = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU())
        self.convs = nn.ModuleList(self.make_conv(hidden) for _ in range(layers))
        self.act = nn.SiLU()
        self.head = nn.Linear(hidden, 1)

    def make_conv(self, hidden: int) -> nn.Module:
        raise NotImplementedError

    def conv_forward(self, conv: nn.Module, h: Tensor, batch: Any) -> Tensor:
        return conv(h, batch.edge_index)

    def forward(self, batch: Any) -> Tensor:
        h = self.encoder(node_inputs(batch, True, self.use_obs_inputs))
        if self.temporal:
            series, mask = series_inputs(batch)
            h = self.fuse(torch.cat([h, self.temporal_encoder(series, mask)], dim=-1))
        for conv in self.convs:
            h = h + self.act(self.conv_forward(conv, h, batch))
        return self.denormalise(self.head(h), batch)
