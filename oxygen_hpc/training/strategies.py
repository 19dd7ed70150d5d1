"""Strategies. DeepSpeed is Lightning's ``DeepSpeedStrategy`` plus graph batches in the engine's dtype
(``GraphDeepSpeedStrategy``, registered under Lightning's own names ``deepspeed``, ``deepspeed_stage_{1,2,3}``…);
``CPUDeepSpeedStrategy`` lets tests run the same DeepSpeed engine (ZeRO 1–3, gloo) on CPU, which Lightning's
strategy refuses."""
from __future__ import annotations

import os
from typing import Any, Optional

import torch
from pytorch_lightning.strategies import DeepSpeedStrategy

KEEP_FP32 = ("y", "y_std")   # targets: compared with the prediction in fp32 (bf16 resolves 1 µmol/kg at 200)


def cast_graph_batch(batch: Any, dtype: torch.dtype) -> Any:
    """A torch_geometric batch's floating-point inputs in ``dtype`` (targets stay as they are); anything else
    unchanged. Lightning's own DeepSpeed input conversion only walks collections, not a ``Batch``."""
    from torch_geometric.data.data import BaseData

    if not isinstance(batch, BaseData) or dtype == torch.float32:
        return batch
    for store in batch.stores:
        for key, value in list(store.items()):
            if torch.is_tensor(value) and value.is_floating_point() and key not in KEEP_FP32:
                store[key] = value.to(dtype)
    return batch


class GraphDeepSpeedStrategy(DeepSpeedStrategy):
    """Lightning's DeepSpeed for graph batches. With ``precision: bf16-mixed`` (or ``16-mixed``) DeepSpeed keeps
    the module's weights in that dtype (fp32 master weights in the optimizer) and does no autocast, so the
    batch's float inputs must be cast too, else the first layer fails with "mat1 and mat2 must have the same
    dtype". Targets stay fp32."""

    def batch_to_device(self, batch: Any, device: Optional[torch.device] = None, dataloader_idx: int = 0) -> Any:
        batch = super().batch_to_device(batch, device, dataloader_idx)
        return cast_graph_batch(batch, getattr(self.precision_plugin, "_desired_dtype", torch.float32))


class CPUDeepSpeedStrategy(GraphDeepSpeedStrategy):
    """DeepSpeed on CPU (gloo): for tests and laptops; real runs use ``strategy: deepspeed_stage_2`` on GPUs."""

    strategy_name = "deepspeed_cpu"

    def __init__(self, stage: int = 2, **kwargs):
        os.environ.setdefault("DS_ACCELERATOR", "cpu")       # before deepspeed is imported
        kwargs.setdefault("process_group_backend", "gloo")
        super().__init__(stage=stage, **kwargs)

    @property
    def root_device(self):
        # DeepSpeed's engine reads the device index (``device_rank``); a CPU device has none, so give it 0.
        return torch.device("cpu", 0)

    def setup_distributed(self) -> None:
        # Lightning validates CUDA device indices here; CPU "devices" have none.
        from lightning_fabric.utilities.seed import reset_seed

        reset_seed()
        self.set_world_ranks()
        self._init_deepspeed_distributed()

    def setup_environment(self) -> None:
        # DeepSpeedStrategy.setup_environment insists on a CUDA accelerator; skip only that check.
        from pytorch_lightning.strategies.ddp import DDPStrategy

        DDPStrategy.setup_environment(self)


def register() -> None:
    """Make ``strategy: deepspeed_cpu`` (ZeRO-2) and ``deepspeed_cpu_stage_{1,3}`` usable by name in configs, and
    point Lightning's DeepSpeed names (``deepspeed``, ``deepspeed_stage_2``, …, same settings) at
    :class:`GraphDeepSpeedStrategy`."""
    from pytorch_lightning.strategies import StrategyRegistry

    for name, stage in (("deepspeed_cpu", 2), ("deepspeed_cpu_stage_1", 1), ("deepspeed_cpu_stage_3", 3)):
        if name not in StrategyRegistry:
            StrategyRegistry.register(name, CPUDeepSpeedStrategy, description=f"DeepSpeed ZeRO-{stage} on CPU (gloo)",
                                      stage=stage)
    for name, entry in list(StrategyRegistry.items()):
        if name.startswith("deepspeed") and entry["strategy"] is DeepSpeedStrategy:
            StrategyRegistry.register(name, GraphDeepSpeedStrategy, description=entry["description"], override=True,
                                      **entry["init_params"])
