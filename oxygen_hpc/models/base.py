"""The base class of every neural model: ``forward(batch) -> [N]`` in µmol/kg, de-normalised by its output scale.

The non-neural baselines have their own base (:mod:`oxygen_hpc.models.baselines.base`); the PyG graph baselines
share a body (:mod:`oxygen_hpc.models.gnn_base`) built on this class.
"""
from __future__ import annotations

from typing import Any

from torch import Tensor, nn


class NodeRegressor(nn.Module):
    """Base of the neural models: holds the output scale; ``forward(batch) -> [N]`` in µmol/kg.

    Args:
        target_mean (float): µmol/kg added to the de-normalised output.
        target_std (float): µmol/kg per unit of the network's raw output.
        use_background (bool): learn the anomaly from the batch's ``background`` (its offset instead of
            ``target_mean``); set by the data, not by hand (``PartitionDataModule(background=...)``).
    """

    def __init__(self, target_mean: float = 170.0, target_std: float = 80.0, use_background: bool = False) -> None:
        super().__init__()
        if target_std <= 0:
            raise ValueError(f"target_std must be > 0, got {target_std}")
        self.target_mean = float(target_mean)
        self.target_std = float(target_std)
        self.use_background = bool(use_background)

    def denormalise(self, z: Tensor, batch: Any = None) -> Tensor:
        """µmol/kg: ``offset + target_std·z``, the offset being the batch's ``background`` per node when the model
        learns the anomaly (``use_background``), else ``target_mean``."""
        if self.use_background:
            bg = getattr(batch, "background", None)
            if bg is None:
                raise ValueError("this model predicts the anomaly from a background field (use_background) but the "
                                 "batch has none: give the data a background (PartitionDataModule(background=...), "
                                 "oxygen-hpc predict --background)")
            return z.reshape(-1) * self.target_std + bg.to(z.dtype).reshape(-1)
        return z.reshape(-1) * self.target_std + self.target_mean
