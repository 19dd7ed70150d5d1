"""Slurm auto-requeue that every rank agrees on: the signal is noted, the checkpoint taken between steps.

``sbatch --signal=SIGUSR1@90 --requeue`` (slurm/train.sh) warns the job's ranks before the walltime. Lightning's
own handler saves the checkpoint *inside* the signal handler, wherever each rank happens to be: with DDP that is a
barrier on one rank while another is in the middle of a gradient all-reduce, a mismatch of collectives that hangs
the job (seen on the two-node dev cluster: signalled, never requeued) or mixes a checkpoint from two steps. Here
the handler only notes the signal; after a training step (every ``check_every_n_steps``, and at each epoch's end)
the ranks all-reduce "has any of us been signalled?", and if so all of them write the requeue checkpoint
(``hpc_ckpt_<n>.ckpt`` in the run directory, which Lightning resumes under Slurm) at the same step, then rank 0
runs ``scontrol requeue``. A rank signalled alone (``--signal=B:USR1`` reaches one) suffices.

:func:`slurm_environment` gives the trainer a ``SLURMEnvironment`` with Lightning's handler off when the process
runs under Slurm; :class:`SlurmRequeue` is the callback. Outside Slurm both do nothing.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

from pytorch_lightning import Callback


def slurm_environment():
    """A ``SLURMEnvironment`` without Lightning's in-handler requeue, or None when not running as Slurm tasks."""
    from lightning_fabric.plugins.environments import SLURMEnvironment

    if not SLURMEnvironment.detect():
        return None
    return SLURMEnvironment(auto_requeue=False)


def job_id() -> str | None:
    """The id ``scontrol requeue`` takes: ``<array job>_<task>`` in an array, else the job id."""
    array = os.environ.get("SLURM_ARRAY_JOB_ID")
    jid = f"{array}_{os.environ.get('SLURM_ARRAY_TASK_ID', '')}" if array else os.environ.get("SLURM_JOB_ID")
    return jid if jid and re.fullmatch(r"[0-9]+(_[0-9]+)?", jid) else None


class SlurmRequeue(Callback):
    """Checkpoint and requeue at a step boundary all ranks agree on, after ``signum`` reached any of them.

    Args:
        signum: the warning signal (``--signal`` in the batch script).
        check_every_n_steps: how often the ranks compare notes (one tiny all-reduce); the checkpoint comes at most
            this many steps after the signal.
        wait_s: after a successful requeue the ranks wait this long for Slurm to end the job, then exit.
    """

    def __init__(self, signum: int = signal.SIGUSR1, check_every_n_steps: int = 1, wait_s: float = 300.0):
        self.signum = int(signum)
        self.every = max(1, int(check_every_n_steps))
        self.wait_s = float(wait_s)
        self.signalled = False
        self._previous = None
        self._installed = False

    # -- the handler: notes the signal, nothing else (no I/O, no collectives inside a signal handler)
    def _note(self, signum, frame) -> None:
        self.signalled = True

    def on_train_start(self, trainer, pl_module) -> None:    # after Lightning has set its own handlers
        if job_id() is None or threading.current_thread() is not threading.main_thread():
            return
        self.signalled = False
        self._previous = signal.signal(self.signum, self._note)
        self._installed = True

    def on_train_end(self, trainer, pl_module) -> None:
        if self._installed:
            signal.signal(self.signum, self._previous if self._previous is not None else signal.SIG_DFL)
            self._installed = False

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self.on_train_end(trainer, pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._installed and trainer.global_step % self.every == 0:
            self._maybe_requeue(trainer)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._installed:
            self._maybe_requeue(trainer)

    def _maybe_requeue(self, trainer) -> None:
        if not trainer.strategy.reduce_boolean_decision(self.signalled, all=False):
            return
        path = trainer._checkpoint_connector.hpc_save_path(trainer.default_root_dir)
        for logger in trainer.loggers:
            logger.save()
        trainer.save_checkpoint(path)                   # every rank, the same step (DeepSpeed shards: all write)
        ok = True
        if trainer.is_global_zero:
            jid = job_id()
            r = subprocess.run(["scontrol", "requeue", jid], capture_output=True, text=True)
            ok = r.returncode == 0
            print(f"oxygen-hpc: signal {self.signum} at step {trainer.global_step}: checkpoint {path}; "
                  + (f"requeued Slurm job {jid}" if ok else
                     f"scontrol requeue {jid} failed ({r.returncode}: {r.stderr.strip()}); training goes on"),
                  file=sys.stderr, flush=True)
        ok = bool(trainer.strategy.broadcast(ok, src=0))
        self.signalled = False
        if not ok:
            return
        end = time.monotonic() + self.wait_s            # Slurm ends the job (SIGTERM, then SIGKILL)
        while time.monotonic() < end:
            time.sleep(0.5)
        print(f"oxygen-hpc: requeued, but Slurm did not end this task within {self.wait_s:.0f} s; exiting",
              file=sys.stderr, flush=True)
        raise SystemExit(0)
