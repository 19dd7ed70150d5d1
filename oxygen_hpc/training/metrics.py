"""Evaluation metrics (torchmetrics, synced across ranks): MAE, RMSE, R², MAPE (values ≥ 5 µmol/kg), per zone."""
from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, Metric, MetricCollection, R2Score

from oxygen_contracts.schema import MAPE_FLOOR



class MAPEAbove(MeanAbsolutePercentageError):
    """MAPE (%) over targets ≥ ``MAPE_FLOOR``."""

    def update(self, preds: Tensor, target: Tensor) -> None:  # type: ignore[override]
        keep = target >= MAPE_FLOOR
        super().update(preds[keep], target[keep])

    def compute(self) -> Tensor:
        return super().compute() * 100.0


def global_metrics(prefix: str) -> MetricCollection:
    return MetricCollection({"mae": MeanAbsoluteError(), "rmse": MeanSquaredError(squared=False),
                             "r2": R2Score(), "mape": MAPEAbove()}, prefix=prefix)


class ZoneErrors(Metric):
    """Per-zone sums of |e|, e² and counts (summed across ranks); ``compute`` → (mae[Z], rmse[Z], count[Z])."""

    full_state_update = False

    def __init__(self, n_zones: int):
        super().__init__()
        self.n_zones = n_zones
        for name in ("abs_sum", "sq_sum", "count"):
            self.add_state(name, default=torch.zeros(n_zones, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor, zone: Tensor) -> None:
        e = (preds - target).to(self.abs_sum.dtype)      # a strategy may have cast the states (DeepSpeed: fp32)
        z = zone.long().clamp(0, self.n_zones - 1)
        self.abs_sum.index_add_(0, z, e.abs())
        self.sq_sum.index_add_(0, z, e * e)
        self.count.index_add_(0, z, torch.ones_like(e))

    def compute(self) -> tuple[Tensor, Tensor, Tensor]:
        n = self.count.clamp(min=1)
        return self.abs_sum / n, (self.sq_sum / n).sqrt(), self.count
