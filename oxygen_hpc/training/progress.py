"""``FitProgress``: what a person watching a fit sees — steps, loss, speed, ETA — on a terminal and in a log file.

On a terminal (stderr is a TTY) one bar over the whole run: ``fit 37%|███▋      | 612/1664 [03:41<06:20,
2.76 step/s, epoch=2/4, loss=0.213]``. Without one (Slurm, ``make demo``'s subprocesses, CI) a carriage-return bar
would fill the log with partial lines, so it prints one plain line every ``every_n_steps`` optimiser steps, and at
the last step:

    fit: step 600/1664 (36%) epoch 2/4 | loss 0.2134 | 2.71 step/s | elapsed 0:03:41 | ETA 0:06:32

plus a line when the run starts (steps, epochs, devices, run directory) and one after each validation (the
validation metrics). ETA = remaining steps / the rate measured since this process started (a resumed run counts
from its checkpoint's step). Lightning's own progress bar is switched off while this one runs (two bars would fight
over the terminal; its epoch bar has no whole-run ETA). Only global rank 0 prints.

Registered by ``oxygen-hpc fit`` (``training/cli.py``) with ``every_n_steps=50``; to change it, list it in the
config's ``trainer.callbacks`` (``class_path: oxygen_hpc.training.progress.FitProgress``, ``init_args:
{every_n_steps: 10, mode: lines}``), which replaces the default one.

Args:
    every_n_steps: optimiser steps between two lines (line mode).
    mode: ``auto`` (bar on a terminal, else lines), ``bar``, ``lines``, or ``off`` (nothing; Lightning's bar stays).
"""
from __future__ import annotations

import datetime as dt
import math
import sys
import time

import pytorch_lightning as pl
import torch

MODES = ("auto", "bar", "lines", "off")


def _epochs(epoch: int, max_epochs: int | None) -> str:
    return f"{epoch + 1}/{max_epochs}" if max_epochs and max_epochs > 0 else f"{epoch + 1}"


def _hms(seconds: float) -> str:
    return str(dt.timedelta(seconds=int(seconds))) if math.isfinite(seconds) else "?"


class FitProgress(pl.Callback):
    def __init__(self, every_n_steps: int = 50, mode: str = "auto"):
        if every_n_steps < 1:
            raise ValueError(f"every_n_steps must be >= 1, got {every_n_steps}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.every, self.mode = int(every_n_steps), mode
        self.stream = None                      # None: sys.stderr at the time of printing
        self._bar = None
        self._loss_sum: torch.Tensor | None = None
        self._loss_n = 0

    # -- set-up ---------------------------------------------------------------------------------------------------
    def _active(self, trainer: pl.Trainer) -> bool:
        return self.mode != "off" and trainer.is_global_zero

    def resolved_mode(self) -> str:
        if self.mode != "auto":
            return self.mode
        return "bar" if getattr(self._out(), "isatty", lambda: False)() else "lines"

    def _out(self):
        return self.stream or sys.stderr

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.mode != "off" and stage == "fit" and trainer.progress_bar_callback is not None:
            trainer.progress_bar_callback.disable()

    def _total(self, trainer: pl.Trainer) -> float:
        try:
            return float(trainer.estimated_stepping_batches)
        except Exception:        # no length known (an iterable loader without max_steps)
            return math.inf

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer):
            return
        self.total = self._total(trainer)
        self.start_step, self.t0 = trainer.global_step, time.monotonic()
        per_epoch = trainer.num_training_batches
        devices = f"{trainer.num_devices} {trainer.accelerator.__class__.__name__.replace('Accelerator', '')}"
        epochs = f"{trainer.max_epochs} epoch(s)" if (trainer.max_epochs or 0) > 0 else "no epoch limit"
        self._print(f"fit: {self._fmt_total()} optimiser steps, {epochs} x {per_epoch} batches "
                    f"on {devices} device(s) x {trainer.num_nodes} node(s)"
                    + (f", resuming at step {self.start_step}" if self.start_step else "")
                    + f"; run directory {trainer.default_root_dir}")
        if self.resolved_mode() == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=None if math.isinf(self.total) else int(self.total), initial=self.start_step,
                             desc="fit", unit="step", file=self._out(), dynamic_ncols=True, leave=True)

    def _fmt_total(self) -> str:
        return "?" if math.isinf(self.total) else f"{int(self.total):,}"

    # -- steps ----------------------------------------------------------------------------------------------------
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not self._active(trainer):
            return
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor):
            d = loss.detach().float()
            self._loss_sum = d if self._loss_sum is None else self._loss_sum + d
            self._loss_n += 1
        step = trainer.global_step
        last = not math.isinf(self.total) and step >= self.total
        if self._bar is not None:
            self._bar.update(step - self._bar.n)
            if step % max(1, min(self.every, 10)) == 0 or last:
                self._bar.set_postfix(epoch=_epochs(trainer.current_epoch, trainer.max_epochs),
                                      loss=f"{self._mean_loss():.4g}", refresh=False)
            return
        if step > self.start_step and (step % self.every == 0 or last):
            self._print(self.line(step, trainer.current_epoch, trainer.max_epochs))

    def _mean_loss(self) -> float:
        if not self._loss_n or self._loss_sum is None:
            return float("nan")
        v = float(self._loss_sum) / self._loss_n
        self._loss_sum, self._loss_n = None, 0
        return v

    def line(self, step: int, epoch: int, max_epochs: int) -> str:
        elapsed = time.monotonic() - self.t0
        rate = (step - self.start_step) / elapsed if elapsed > 0 else float("nan")
        left = (self.total - step) / rate if rate and rate > 0 and math.isfinite(self.total) else float("inf")
        pct = f" ({100 * step / self.total:.0f}%)" if math.isfinite(self.total) and self.total else ""
        return (f"fit: step {step:,}/{self._fmt_total()}{pct} epoch {_epochs(epoch, max_epochs)} | loss "
                f"{self._mean_loss():.4g} | {rate:.2f} step/s | elapsed {_hms(elapsed)} | ETA {_hms(left)}")

    # -- validation and end ---------------------------------------------------------------------------------------
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer) or trainer.sanity_checking or trainer.state.fn != "fit":
            return
        m = {k: float(v) for k, v in trainer.callback_metrics.items()
             if k.startswith("val/") and isinstance(v, (torch.Tensor, float, int))}
        if m:
            text = ", ".join(f"{k} {v:.4g}" for k, v in sorted(m.items()))
            self._print(f"fit: validation at step {trainer.global_step:,} (epoch {trainer.current_epoch + 1}): {text}"
                        " (rmse/mae in µmol/kg)")

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer):
            return
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        done = trainer.global_step - self.start_step
        self._print(f"fit: finished {done:,} steps in {_hms(time.monotonic() - self.t0)} "
                    f"(step {trainer.global_step:,}); checkpoints in {trainer.default_root_dir}/checkpoints")

    def _print(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self._out())
        else:
            print(text, file=self._out(), flush=True)
