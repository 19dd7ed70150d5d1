"""Training: the LightningModule (:class:`OxyTask`), metrics, callbacks, strategies and the LightningCLI."""
from oxygen_hpc.training.task import OxyTask

__all__ = ["OxyTask"]
