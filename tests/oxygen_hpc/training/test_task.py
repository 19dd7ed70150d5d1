"""OxyTask through the real CLI and in-process: checkpoints, metrics, W&B, resume (epoch end and mid-epoch)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from oxygen_hpc.data.datamodule import PartitionDataModule
from oxygen_hpc.training import OxyTask

REPO = Path(__file__).resolve().parents[3]
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
NET = {"class_path": "oxygen_hpc.models.OxyGenerator",
       "init_args": {"hidden": 8, "layers": 2, "rank": 2, "hyper_hidden": 8, "edge_hidden": 4}}


def fit_cli(parts, root, *extra, timeout=300):
    cmd = [EXE, "fit", "--config", str(REPO / "configs/train/tiny.yaml"), f"--data.init_args.root={parts}",
           f"--trainer.default_root_dir={root}", "--trainer.max_epochs=2", "--data.init_args.batch_size=4", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root.parent)


def test_fit_cli_leaves_checkpoints_metrics_config_and_one_wandb_run(train_parts, tmp_path):
    root = tmp_path / "run"
    r = fit_cli(train_parts, root)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (root / "checkpoints" / "last.ckpt").exists()
    assert len(list((root / "checkpoints").glob("best-*.ckpt"))) == 1
    m = json.loads((root / "metrics.json").read_text())
    assert m["epoch"] == 2 and m["val/rmse"] > 0 and "val_zone/rmse_00" in m or "val_zone/rmse_01" in m
    assert "model" in (root / "csv" / "config.yaml").read_text()
    rid = (root / "wandb_run_id").read_text().strip()
    runs = list(root.rglob(f"run-{rid}.wandb"))
    assert len(runs) == 1 and len(list(root.rglob("run-*.wandb"))) == 1
    # a restarted job resumes from last.ckpt and continues the same W&B run
    r2 = fit_cli(train_parts, root, "--trainer.max_epochs=3")
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert "resuming from" in r2.stderr
    assert json.loads((root / "metrics.json").read_text())["epoch"] == 3
    assert (root / "wandb_run_id").read_text().strip() == rid
    assert {p.name for p in root.rglob("run-*.wandb")} == {f"run-{rid}.wandb"}


def test_load_from_checkpoint_rebuilds_without_data(train_parts, tmp_path):
    dm = PartitionDataModule(str(train_parts), batch_size=4)
    task = OxyTask(model=NET, lam=0.1)
    trainer = pl.Trainer(accelerator="cpu", max_steps=2, logger=False, enable_progress_bar=False,
                         default_root_dir=tmp_path, enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=0)
    trainer.fit(task, dm)
    trainer.save_checkpoint(tmp_path / "m.ckpt")
    back = OxyTask.load_from_checkpoint(tmp_path / "m.ckpt")
    dm.setup("predict")
    batch = next(iter(dm.predict_dataloader()))
    back.eval(), task.eval()
    with torch.no_grad():
        assert torch.allclose(back(batch), task(batch))


class StopAt(pl.Callback):
    """Checkpoints after ``step`` optimiser steps and stops, as a preempted job would."""

    def __init__(self, step: int, path: Path):
        self.step, self.path = step, path

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)
            trainer.should_stop = True


def _train(parts, root, ckpt=None, callbacks=(), epochs=2):
    pl.seed_everything(0)
    dm = PartitionDataModule(str(parts), batch_size=3, num_workers=0, obs_input_fraction=0.5, seed=0)
    task = OxyTask(model=NET, lam=0.1, lr=0.01)
    trainer = pl.Trainer(accelerator="cpu", max_epochs=epochs, logger=False, enable_progress_bar=False,
                         enable_checkpointing=False, default_root_dir=root, enable_model_summary=False,
                         callbacks=list(callbacks), deterministic=True)
    trainer.fit(task, dm, ckpt_path=ckpt)
    return task, trainer


def test_resume_mid_epoch_continues_identically(train_parts, tmp_path):
    full, t_full = _train(train_parts, tmp_path / "a")
    steps_per_epoch = t_full.num_training_batches
    stop = steps_per_epoch + steps_per_epoch // 2          # in the middle of the second epoch
    _train(train_parts, tmp_path / "b", callbacks=[StopAt(stop, tmp_path / "mid.ckpt")])
    resumed, t_res = _train(train_parts, tmp_path / "c", ckpt=str(tmp_path / "mid.ckpt"))
    assert t_res.global_step == t_full.global_step
    for (n, a), (_, b) in zip(full.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), n


def test_resume_at_epoch_end_gives_the_same_next_step_loss(train_parts, tmp_path):
    losses = {}

    class Record(pl.Callback):
        def __init__(self, key):
            self.key = key

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            losses.setdefault(self.key, []).append(float(outputs["loss"]))

    _, t = _train(train_parts, tmp_path / "a", callbacks=[Record("full")], epochs=2)
    n = t.num_training_batches
    _train(train_parts, tmp_path / "b", callbacks=[StopAt(n, tmp_path / "e1.ckpt"), Record("first")], epochs=2)
    _train(train_parts, tmp_path / "c", ckpt=str(tmp_path / "e1.ckpt"), callbacks=[Record("rest")], epochs=2)
    assert losses["first"] == losses["full"][:n]
    assert losses["rest"][0] == losses["full"][n]
    assert losses["first"] + losses["rest"] == losses["full"]


def test_warmup_cosine_schedule():
    from oxygen_hpc.training.task import WarmupCosine

    f = WarmupCosine(1000, 0.1, 0.01)
    assert f(0) == pytest.approx(0.01) and f(99) == pytest.approx(1.0)      # 100 warm-up steps
    assert f(550) == pytest.approx(0.01 + 0.99 * 0.5)                        # half way through the cosine
    assert f(1000) == pytest.approx(0.01) and f(5000) == pytest.approx(0.01)
    assert all(f(s) >= f(s + 1) for s in range(100, 1000))
    g = WarmupCosine(float("inf"), 0.1, 0.01)                                # no step limit: constant after warm-up
    assert g(50) < 1.0 and g(100) == g(10 ** 6) == 1.0
    with pytest.raises(ValueError, match="warmup_fraction"):
        OxyTask(model=NET, warmup_fraction=1.0)


def test_learning_rate_warms_up_then_anneals_to_lr_min(train_parts, tmp_path):
    task, trainer = _train(train_parts, tmp_path, epochs=2)
    f = trainer.lr_scheduler_configs[0].scheduler.lr_lambdas[0]
    assert f.total == trainer.global_step == 2 * trainer.num_training_batches
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(task.hparams.lr_min)


def test_observation_inputs_are_switched_once_by_the_data(train_parts):
    """``use_obs_inputs`` is a datamodule setting the network reads from ``dims``; a model argument that disagrees is
    an error, not a silent second switch."""
    from oxygen_hpc.training.task import build_network

    dm = PartitionDataModule(str(train_parts), use_obs_inputs=False)
    assert dm.dims["use_obs_inputs"] is False
    spec = {"class_path": "oxygen_hpc.models.OxyGenerator", "init_args": {"hidden": 8, "rank": 2, "hyper_hidden": 8}}
    assert build_network(spec, dm.dims).use_obs_inputs is False
    dm_on = PartitionDataModule(str(train_parts), use_obs_inputs=True)
    assert build_network(spec, dm_on.dims).use_obs_inputs is True
    both = {**spec, "init_args": {**spec["init_args"], "use_obs_inputs": True}}
    with pytest.raises(ValueError, match="set it once, as data.init_args.use_obs_inputs"):
        build_network(both, dm.dims)
    assert build_network(both, dm_on.dims).use_obs_inputs is True     # agreeing (old checkpoints) is fine
