"""OxyGenerator: zoning-varying graph neural network for ocean dissolved oxygen (Lu et al., ICML 2024)."""
from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from oxygen_hpc.models.base import NodeRegressor
from oxygen_hpc.models.inputs import node_input_dim, node_inputs, series_inputs, zone_ids
from oxygen_hpc.nn import FeatureEncoder, TemporalEncoder, ZoneAffineTable, ZoneHypernetwork, ZoningVaryingConv

ZONINGS = ("hyper", "discrete")


class OxyGenerator(NodeRegressor):
    r"""Feature MLP + BiLSTM over the DO series → L zoning-varying message-passing layers → linear head.

    .. math::
        h^{(0)}_i = \mathrm{SiLU}(W_f [\mathrm{MLP}(u_i) \,\|\, \mathrm{BiLSTM}(s_i)]), \quad
        h^{(l)}_i = h^{(l-1)}_i
            + \sigma\big(α^{(l)}_i W^{(l)} \textstyle\sum_j w^{(l)}_{ji} h^{(l-1)}_j + β^{(l)}_i\big),
        \quad \hat y_i = μ + σ_y\, w_o^\top h^{(L)}_i

    u_i = [x, nutrients·mask, nutrients_mask, (obs·obs_mask, obs_mask)], s_i = the 11-step DO series and mask.
    With ``zoning="hyper"`` each layer's (α, β) comes from a hypernetwork of the node's ``meta`` vector; with
    ``zoning="discrete"`` from a per-zone table (zone id from ``meta[:, zone_column]`` or, if
    ``zone_column < 0``, the graph's ``zone``). ``affine="lowrank"`` uses α = I + diag(d) + U Vᵀ with U, V
    ∈ R^{D×r} generated per node (never materialising D×D per node); ``"full"`` generates the whole D×D α as in
    the paper; ``"diag"`` only a per-channel scale.

    Args:
        in_features (int): covariate features F of ``x``.
        meta_features (int): meta features M (hypernetwork input).
        edge_features (int): edge features of ``edge_attr``.
        hidden (int): hidden size D.
        layers (int): message-passing layers L.
        affine (str): ``"lowrank"``, ``"full"`` or ``"diag"``.
        rank (int): rank r of the low-rank α.
        zoning (str): ``"hyper"`` or ``"discrete"``.
        num_zones (int): zones of the discrete table.
        zone_column (int): meta column holding the zone id for discrete zoning (−1: use ``batch.zone``).
        temporal (bool): use the BiLSTM temporal encoder.
        use_obs_inputs (bool): feed ``obs``/``obs_mask`` (neighbours' same-year observations) as inputs.
        encoder_layers (int): layers of the feature MLP.
        hyper_hidden (int): width of the hypernetwork.
        edge_hidden (int): width of the edge-scoring MLP.
        dropout (float): dropout in the feature encoder.
        checkpoint (bool): recompute each layer (hypernetwork + conv) in the backward instead of keeping its
            activations (non-reentrant activation checkpointing; works with the regulariser's double backward).
        target_mean (float): output offset, µmol/kg.
        target_std (float): output scale, µmol/kg.
        use_background (bool): predict the anomaly: the batch's ``background`` (µmol/kg) is the output's offset
            (set by the data: ``PartitionDataModule(background=...)``).

    Shapes:
        - **input:** a batch following the batch contract with N nodes
        - **output:** [N] predicted DO, µmol/kg
    """

    def __init__(self, in_features: int, meta_features: int, edge_features: int, hidden: int = 32, layers: int = 2,
                 affine: str = "lowrank", rank: int = 4, zoning: str = "hyper", num_zones: int = 32,
                 zone_column: int = -1, temporal: bool = True, use_obs_inputs: bool = True, encoder_layers: int = 2,
                 hyper_hidden: int = 32, edge_hidden: int = 16, dropout: float = 0.0, checkpoint: bool = False,
                 target_mean: float = 170.0, target_std: float = 80.0,
                 use_background: bool = False) -> None:
        super().__init__(target_mean, target_std, use_background)
        if zoning not in ZONINGS:
            raise ValueError(f"zoning must be one of {ZONINGS}, got {zoning!r}")
        self.zoning, self.affine, self.rank = zoning, affine, rank
        self.zone_column, self.temporal, self.use_obs_inputs = zone_column, temporal, use_obs_inputs
        self.checkpoint = checkpoint
        self.encoder = FeatureEncoder(node_input_dim(in_features, True, use_obs_inputs), hidden, encoder_layers,
                                      dropout)
        if temporal:
            self.temporal_encoder = TemporalEncoder(hidden)
            self.fuse = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU())
        if zoning == "hyper":
            self.zone_params = nn.ModuleList(
                ZoneHypernetwork(meta_features, hidden, affine, rank, hyper_hidden) for _ in range(layers))
        else:
            self.zone_params = nn.ModuleList(ZoneAffineTable(num_zones, hidden, affine, rank) for _ in range(layers))
        self.convs = nn.ModuleList(
            ZoningVaryingConv(hidden, edge_features, affine, rank, edge_hidden) for _ in range(layers))
        self.head = nn.Linear(hidden, 1)

    def encode(self, batch: Any) -> Tensor:
        h = self.encoder(node_inputs(batch, True, self.use_obs_inputs))
        if self.temporal:
            series, mask = series_inputs(batch)
            h = self.fuse(torch.cat([h, self.temporal_encoder(series, mask)], dim=-1))
        return h

    @staticmethod
    def _layer(gen: nn.Module, conv: nn.Module, h: Tensor, edge_index: Tensor, edge_attr: Any,
               zone_input: Tensor) -> Tensor:
        return conv(h, edge_index, edge_attr, partial(gen.transform, zone_input))

    def forward(self, batch: Any) -> Tensor:
        h = self.encode(batch)
        zone_input = batch.meta if self.zoning == "hyper" else zone_ids(batch, self.zone_column)
        edge_attr = getattr(batch, "edge_attr", None)
        for gen, conv in zip(self.zone_params, self.convs):
            if self.checkpoint and torch.is_grad_enabled():
                h = checkpoint(self._layer, gen, conv, h, batch.edge_index, edge_attr, zone_input,
                               use_reentrant=False)
            else:
                h = self._layer(gen, conv, h, batch.edge_index, edge_attr, zone_input)
        return self.denormalise(self.head(h), batch)
