"""Callbacks that steer training from validation results."""
from __future__ import annotations

import pytorch_lightning as pl
import pytest

from oxygen_hpc.data.datamodule import PartitionDataModule
from oxygen_hpc.training import OxyTask
from oxygen_hpc.training.callbacks import ZoneAdaptiveSampling

NET = {"class_path": "oxygen_hpc.models.OxyGenerator",
       "init_args": {"hidden": 8, "layers": 2, "rank": 2, "hyper_hidden": 8, "edge_hidden": 4}}


class Record(pl.Callback):
    """After each validation (when everything has run): the module's per-zone RMSE and the sampler's weights."""

    def __init__(self):
        self.seen = []

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self.seen.append((dict(pl_module.zone_rmse), dict(trainer.datamodule.train_sampler.zone_weights)))


@pytest.mark.timeout(300)
def test_zone_weights_follow_this_validation_not_the_previous_one(train_parts, tmp_path):
    pl.seed_everything(0)
    za, rec = ZoneAdaptiveSampling(temperature=0.5), Record()
    dm = PartitionDataModule(str(train_parts), batch_size=4)
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=3, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         callbacks=[za, rec], default_root_dir=str(tmp_path))
    trainer.fit(OxyTask(model=NET, lr=0.01), datamodule=dm)
    assert len(rec.seen) == 3 and rec.seen[0][0] != rec.seen[1][0]
    for zone_rmse, weights in rec.seen:
        want = za.compute_weights(zone_rmse, 4)
        assert weights == pytest.approx(want)
