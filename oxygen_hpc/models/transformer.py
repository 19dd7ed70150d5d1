"""Transformer baseline over the 11-step DO series plus one token for the node's own inputs."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from oxygen_contracts.schema import SERIES_LEN
from oxygen_hpc.models.base import NodeRegressor
from oxygen_hpc.models.inputs import node_input_dim, node_inputs, series_inputs


class Transformer(NodeRegressor):
    """Tokens: one per series step (value, mask → linear + learned position) and one "node" token (linear of
    ``[x, nutrients, masks, (obs)]``); a Transformer encoder; the head reads the node token.
    Masked steps stay in the sequence (their mask channel says so) so every node has the same length.

    Args:
        in_features (int): covariate features F of ``x``.
        meta_features (int), edge_features (int): unused.
        d_model (int): token width.
        heads (int): attention heads.
        layers (int): encoder layers.
        use_obs_inputs (bool): feed ``obs``/``obs_mask`` into the node token.
        target_mean (float), target_std (float): output scale, µmol/kg.
        use_background (bool): predict the anomaly: the batch's ``background`` (µmol/kg) is the output's offset
            (set by the data: ``PartitionDataModule(background=...)``).

    Shapes:
        - **input:** batch with N nodes
        - **output:** [N] µmol/kg
    """

    def __init__(self, in_features: int, meta_features: int = 0, edge_features: int = 0, d_model: int = 32,
                 heads: int = 4, layers: int = 2, use_obs_inputs: bool = False, target_mean: float = 170.0,
                 target_std: float = 80.0,
                 use_background: bool = False) -> None:
        super().__init__(target_mean, target_std, use_background)
        self.use_obs_inputs = use_obs_inputs
        self.step_embed = nn.Linear(2, d_model)
        self.node_embed = nn.Linear(node_input_dim(in_features, True, use_obs_inputs), d_model)
        self.position = nn.Parameter(torch.randn(SERIES_LEN + 1, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, 2 * d_model, dropout=0.0, batch_first=True,
                                           activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 1)

    def forward(self, batch: Any) -> Tensor:
        series, mask = series_inputs(batch)
        steps = self.step_embed(torch.stack([series, mask], dim=-1))               # [N, 11, d]
        node = self.node_embed(node_inputs(batch, True, self.use_obs_inputs)).unsqueeze(1)  # [N, 1, d]
        tokens = torch.cat([node, steps], dim=1) + self.position
        return self.denormalise(self.head(self.encoder(tokens)[:, 0]), batch)
