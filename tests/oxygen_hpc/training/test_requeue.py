"""The Slurm requeue is taken between steps: the signal handler only notes it, the checkpoint follows at the next
step boundary, then ``scontrol requeue <job>`` (a recording stand-in on PATH here; the real one is exercised by
tests/slurm/test_train.py and test_two_nodes_train.py)."""
from __future__ import annotations

import os
import signal

import pytest
import pytorch_lightning as pl
import torch

from oxygen_hpc.data.datamodule import PartitionDataModule
from oxygen_hpc.training import OxyTask
from oxygen_hpc.training.requeue import SlurmRequeue, job_id, slurm_environment

NET = {"class_path": "oxygen_hpc.models.OxyGenerator",
       "init_args": {"hidden": 8, "layers": 2, "rank": 2, "hyper_hidden": 8, "edge_hidden": 4}}


class SignalAt(pl.Callback):
    """Sends the signal to this process in the middle of training step ``step`` (inside the forward pass)."""

    def __init__(self, step: int, signum: int):
        self.step, self.signum = step, signum

    def on_before_backward(self, trainer, pl_module, loss):
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


@pytest.fixture
def scontrol(tmp_path, monkeypatch):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "scontrol").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/scontrol.calls\n')
    (bin_ / "scontrol").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}:{os.environ['PATH']}")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    for var in ("SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_NTASKS", "SLURM_JOB_NAME"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "scontrol.calls"


def test_job_id_of_a_job_and_of_an_array_task(monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    monkeypatch.delenv("SLURM_ARRAY_JOB_ID", raising=False)
    assert job_id() == "17"
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "16")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    assert job_id() == "16_3"
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3; rm -rf /")
    assert job_id() is None                           # never hands scontrol anything but an id


def test_no_slurm_environment_outside_slurm(monkeypatch):
    for var in [v for v in os.environ if v.startswith("SLURM_")]:
        monkeypatch.delenv(var)
    assert slurm_environment() is None


@pytest.mark.timeout(300)
def test_signal_mid_step_checkpoints_at_the_next_step_boundary_then_requeues(train_parts, tmp_path, scontrol):
    pl.seed_everything(0)
    req = SlurmRequeue(wait_s=0.2)
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=3, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         callbacks=[req, SignalAt(3, signal.SIGUSR1)], default_root_dir=str(tmp_path))
    before = signal.getsignal(signal.SIGUSR1)
    with pytest.raises(SystemExit):                   # Slurm did not end the task within wait_s: it exits itself
        trainer.fit(OxyTask(model=NET, lr=0.01), datamodule=PartitionDataModule(str(train_parts), batch_size=4))
    ckpts = list(tmp_path.glob("hpc_ckpt_*.ckpt"))
    assert [p.name for p in ckpts] == ["hpc_ckpt_1.ckpt"]
    ck = torch.load(ckpts[0], weights_only=True)
    assert ck["global_step"] == 4                     # the step the signal interrupted was finished first
    assert scontrol.read_text().split() == ["requeue", "4242"]
    assert signal.getsignal(signal.SIGUSR1) == before  # the previous handler is back


@pytest.mark.timeout(300)
def test_failed_requeue_goes_on_training(train_parts, tmp_path, scontrol):
    (scontrol.parent / "bin" / "scontrol").write_text("#!/bin/sh\necho 'no such job' >&2\nexit 1\n")
    pl.seed_everything(0)
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=2, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         callbacks=[SlurmRequeue(wait_s=0.2), SignalAt(2, signal.SIGUSR1)],
                         default_root_dir=str(tmp_path))
    trainer.fit(OxyTask(model=NET, lr=0.01), datamodule=PartitionDataModule(str(train_parts), batch_size=4))
    assert trainer.current_epoch == 2 and list(tmp_path.glob("hpc_ckpt_*.ckpt"))
