"""Strategies. The GPU path is Lightning's own ``DeepSpeedStrategy``; ``CPUDeepSpeedStrategy`` lets tests run the
same DeepSpeed engine (ZeRO 1–3, gloo) on CPU, which Lightning's strategy refuses."""
from __future__ import annotations

from pytorch_lightning.strategies import DeepSpeedStrategy


class CPUDeepSpeedStrategy(DeepSpeedStrategy):
    """DeepSpeed on CPU (gloo): for tests and laptops; real runs use ``strategy: deepspeed_stage_2`` on GPUs."""

    strategy_name = "deepspeed_cpu"

    def __init__(self, stage: int = 2, **kwargs):
        kwargs.setdefault("process_group_backend", "gloo")
        super().__init__(stage=stage, **kwargs)

    def setup_environment(self) -> None:
        # DeepSpeedStrategy.setup_environment insists on a CUDA accelerator; skip only that check.
        from pytorch_lightning.strategies.ddp import DDPStrategy

        DDPStrategy.setup_environment(self)

    def _set_deepspeed_activation_checkpointing(self) -> None:
        pass
