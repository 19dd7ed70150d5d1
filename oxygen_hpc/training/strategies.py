"""Strategies. The GPU path is Lightning's own ``DeepSpeedStrategy``; ``CPUDeepSpeedStrategy`` lets tests run the
same DeepSpeed engine (ZeRO 1–3, gloo) on CPU, which Lightning's strategy refuses."""
from __future__ import annotations

import os

from pytorch_lightning.strategies import DeepSpeedStrategy


class CPUDeepSpeedStrategy(DeepSpeedStrategy):
    """DeepSpeed on CPU (gloo): for tests and laptops; real runs use ``strategy: deepspeed_stage_2`` on GPUs."""

    strategy_name = "deepspeed_cpu"

    def __init__(self, stage: int = 2, **kwargs):
        os.environ.setdefault("DS_ACCELERATOR", "cpu")       # before deepspeed is imported
        kwargs.setdefault("process_group_backend", "gloo")
        super().__init__(stage=stage, **kwargs)

    @property
    def root_device(self):
        # DeepSpeed's engine reads the device index (``device_rank``); a CPU device has none, so give it 0.
        import torch

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
    """Make ``strategy: deepspeed_cpu`` (ZeRO-2) and ``deepspeed_cpu_stage_{1,3}`` usable by name in configs."""
    from pytorch_lightning.strategies import StrategyRegistry

    for name, stage in (("deepspeed_cpu", 2), ("deepspeed_cpu_stage_1", 1), ("deepspeed_cpu_stage_3", 3)):
        if name not in StrategyRegistry:
            StrategyRegistry.register(name, CPUDeepSpeedStrategy, description=f"DeepSpeed ZeRO-{stage} on CPU (gloo)",
                                      stage=stage)
