"""Assembling model inputs from a batch (the batch contract of docs/architecture.md).

Every model reads only these batch fields: ``x, meta, series, series_mask, nutrients, nutrients_mask, obs,
obs_mask, edge_index, edge_attr, zone, year, batch`` — never ``y``, ``owned`` or ``cell``, so whatever the loader
masked (the evaluated fold's labels, series steps and nutrients) stays masked for every model.
``obs`` must not hold a node's own target: the loader masks it; models simply trust ``obs_mask``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

#: extra node-input columns besides ``x``: PO4, NO3, their masks (4) and obs, obs_mask (2)
NUTRIENT_COLUMNS = 4
OBS_COLUMNS = 2


def node_input_dim(in_features: int, use_nutrients: bool = True, use_obs_inputs: bool = True) -> int:
    """Width of :func:`node_inputs` for ``in_features`` covariates."""
    return in_features + (NUTRIENT_COLUMNS if use_nutrients else 0) + (OBS_COLUMNS if use_obs_inputs else 0)


def node_inputs(batch: Any, use_nutrients: bool = True, use_obs_inputs: bool = True) -> Tensor:
    """Concatenate ``x``, ``nutrients·mask``, ``nutrients_mask``, ``obs·obs_mask``, ``obs_mask`` → [N, F'].

    The nutrients enter as ``nutrients * nutrients_mask`` so a gradient w.r.t. ``batch.nutrients`` (the
    chemistry regulariser) is exactly zero where no nutrient was observed.
    """
    parts = [batch.x]
    if use_nutrients:
        mask = batch.nutrients_mask.to(batch.x.dtype)
        parts += [batch.nutrients * mask, mask]
    if use_obs_inputs:
        om = batch.obs_mask.to(batch.x.dtype).reshape(-1, 1)
        parts += [batch.obs.reshape(-1, 1) * om, om]
    return torch.cat(parts, dim=-1)


def series_inputs(batch: Any) -> tuple[Tensor, Tensor]:
    """``(series·mask, mask)``, both [N, 11] float."""
    mask = batch.series_mask.to(batch.x.dtype)
    return batch.series * mask, mask


def node_graph_index(batch: Any) -> Tensor:
    """Graph membership of every node, [N] long (zeros for a single ``Data``)."""
    b = getattr(batch, "batch", None)
    if b is None:
        return torch.zeros(batch.x.shape[0], dtype=torch.long, device=batch.x.device)
    return b


def zone_ids(batch: Any, zone_column: int = -1) -> Tensor:
    """Zone id of every node, [N] long: ``meta[:, zone_column]`` if ``zone_column >= 0`` else the graph's ``zone``."""
    if zone_column >= 0:
        return batch.meta[:, zone_column].round().long()
    zone = torch.as_tensor(batch.zone, device=batch.x.device).long().reshape(-1)
    return zone[node_graph_index(batch)] if zone.numel() > 1 else zone.expand(batch.x.shape[0])
