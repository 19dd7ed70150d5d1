"""The base class of every neural model: ``forward(batch) -> [N]`` in µmol/kg, de-normalised by its output scale.

The non-neural baselines have their own base (:mod:`oxygen_hpc.models.baselines.base`); the PyG graph baselines
share a body (:mod:`oxygen_hpc.models.gnn_base`) built on this class.
"""
from __future__ import annotations

from torch import Tensor, nn


class NodeRegressor(nn.Module):
    """Base of the neural models: holds the output scale; ``forward(batch) -> [N]`` in µmol/kg.

    Args:
        target_mean (float): µmol/kg added to the de-normalised output.
        target_std (float): µmol/kg per unit of the network's raw output.
    """

    def __init__(self, target_mean: float = 170.0, target_std: float = 80.0) -> None:
        super().__init__()
        if target_std <= 0:
            raise ValueError(f"target_std must be > 0, got {target_std}")
        self.target_mean = float(target_mean)
        self.target_std = float(target_std)

    def denormalise(self, z: Tensor) -> Tensor:
        return z.reshape(-1) * self.target_std + self.target_mean
