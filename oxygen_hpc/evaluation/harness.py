"""Train and evaluate one method on fixed folds: neural models through ``OxyTask`` + ``PartitionDataModule`` and a
Lightning ``Trainer``, table baselines through ``fit(train_table) / predict(table)``.

Every method is scored on the same nodes: held-out observations (owned nodes of ``test_fold``, against the
observed binned value), the validation fold (for choosing hyper-parameters, never the test fold), and a sample of
never-observed nodes against the truth. Neural predictions come from one pass over the ``test``-stage dataset,
where every input from the validation and test folds is hidden (``oxygen_hpc.data.masking``), so the
predictions at validation, test and never-observed nodes never see a held-out observation.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from oxygen_hpc.evaluation.metrics import regression_metrics


@dataclass
class NeuralSpec:
    """A neural method: ``model`` = ``{class_path, init_args}``; OxyTask's λ, lr, weight decay; sampling."""

    model: dict
    lam: float = 0.0
    lr: float = 3e-3
    weight_decay: float = 1e-4
    zone_adaptive: bool = True
    zone_adaptive_args: dict = field(default_factory=lambda: {"temperature": 1.0, "floor": 0.2})
    use_obs_inputs: bool = True
    fit_split: str = "fold"
    fit_subgraph: bool = False

    def to_dict(self) -> dict:
        return copy.deepcopy(self.__dict__)


@dataclass
class EvalSets:
    """The nodes every method is scored on (tables of :mod:`oxygen_hpc.evaluation.tables`); ``truth`` aligned
    with ``unobserved``."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    unobserved: pd.DataFrame
    truth: np.ndarray
    ncells: int

    def key(self, t: pd.DataFrame) -> np.ndarray:
        return t["year"].to_numpy(np.int64) * self.ncells + t["cell"].to_numpy(np.int64)


def score(sets: EvalSets, pred_val, pred_test, pred_unobs) -> dict:
    return {"held_out": regression_metrics(pred_test, sets.test["y"].to_numpy()),
            "unobserved": regression_metrics(pred_unobs, sets.truth),
            "val": regression_metrics(pred_val, sets.val["y"].to_numpy())}


# -- table baselines ----------------------------------------------------------------------------------------------
def run_table(baseline, sets: EvalSets) -> dict:
    """Fit ``baseline`` on the training table only (no validation/test observation) and score it."""
    t0 = time.perf_counter()
    baseline.fit(sets.train)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = [np.asarray(baseline.predict(t), float) for t in (sets.val, sets.test, sets.unobserved)]
    out = score(sets, *preds)
    out.update(kind="table", train_seconds=round(train_s, 2), predict_seconds=round(time.perf_counter() - t0, 2))
    return out


# -- neural methods -----------------------------------------------------------------------------------------------
def _lookup(keys: np.ndarray, pred: np.ndarray, want: np.ndarray) -> np.ndarray:
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    pos = np.clip(np.searchsorted(ks, want), 0, max(len(ks) - 1, 0))
    found = (ks[pos] == want) if len(ks) else np.zeros(len(want), bool)
    if not found.all():
        raise RuntimeError(f"{int((~found).sum())} evaluation nodes have no prediction")
    return pred[order][pos]


@torch.inference_mode()
def predict_owned(net: torch.nn.Module, loader, ncells: int) -> tuple[np.ndarray, np.ndarray]:
    """(keys year·ncells + cell, predictions) of every owned node the loader yields."""
    net.eval()
    keys, preds = [], []
    for b in loader:
        p = net(b).float()
        owned = b.owned.bool()
        year = b.year.reshape(-1)[b.batch] if getattr(b, "batch", None) is not None else b.year.expand(len(p))
        keys.append((year[owned].long() * ncells + b.cell[owned].long()).numpy())
        preds.append(p[owned].numpy())
    return np.concatenate(keys), np.concatenate(preds).astype(np.float64)


def _curve_callback():
    import pytorch_lightning as pl

    class ValCurve(pl.Callback):
        """Validation-fold RMSE (µmol/kg) after each validation run, with the optimiser step it was taken at."""

        def __init__(self):
            self.points: list[list[float]] = []

        def on_validation_end(self, trainer, pl_module):
            v = trainer.callback_metrics.get("val/rmse")
            if v is not None and not trainer.sanity_checking:
                self.points.append([int(trainer.global_step), round(float(v), 3)])

    return ValCurve()


def run_neural(spec: NeuralSpec, root: str | Path, sets: EvalSets, val_fold: int, test_fold: int, epochs: int,
               seed: int = 0, batch_size: int = 16, num_workers: int = 1, work_dir: str | Path | None = None,
               limit_train_batches: Any = None, years=None, train_years: Any = "same",
               curve_every: int | None = None) -> dict:
    """Train ``spec`` for ``epochs`` on CPU (one device) on the partitions of ``train_years`` (``"same"``: those of
    ``years``; ``None``: all), validate (zone-adaptive sampling) and score it on those of ``years`` (the evaluation nodes
    must lie in those years). ``curve_every``: also validate every that many optimiser steps and return the
    learning curve ``[[step, val RMSE], ...]`` as ``"curve"``; validation then runs every ``curve_every`` steps
    instead of at epoch ends, so the zone-adaptive callback also re-weights the zones that often)."""
    import pytorch_lightning as pl

    from oxygen_hpc.data.datamodule import PartitionDataModule
    from oxygen_hpc.training import OxyTask
    from oxygen_hpc.training.callbacks import ZoneAdaptiveSampling

    pl.seed_everything(seed, workers=True, verbose=False)
    dm = PartitionDataModule(str(root), val_fold=val_fold, test_fold=test_fold,
                             years=years if train_years == "same" else train_years, eval_years=years,
                             batch_size=batch_size, num_workers=num_workers, prefetch_factor=4 if num_workers else None,
                             persistent_workers=num_workers > 0, use_obs_inputs=spec.use_obs_inputs, seed=seed,
                             fit_split=spec.fit_split, fit_subgraph=spec.fit_subgraph)
    task = OxyTask(model=spec.model, lam=spec.lam, lr=spec.lr, weight_decay=spec.weight_decay)
    callbacks = [ZoneAdaptiveSampling(**spec.zone_adaptive_args)] if spec.zone_adaptive else []
    curve = _curve_callback() if curve_every else None
    val_every = {}
    if curve is not None:
        callbacks.append(curve)
        val_every = {"val_check_interval": int(curve_every), "check_val_every_n_epoch": None}
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=epochs, gradient_clip_val=1.0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         num_sanity_val_steps=0, callbacks=callbacks,
                         limit_val_batches=1.0 if spec.zone_adaptive or curve is not None else 0,
                         limit_train_batches=limit_train_batches, default_root_dir=str(work_dir or "."), **val_every)
    t0 = time.perf_counter()
    trainer.fit(task, datamodule=dm)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dm.setup("test")
    keys, pred = predict_owned(task.net, dm.test_dataloader(), sets.ncells)
    preds = [_lookup(keys, pred, sets.key(t)) for t in (sets.val, sets.test, sets.unobserved)]
    out = score(sets, *preds)
    n_params = sum(p.numel() for p in task.net.parameters())
    out.update(kind="neural", train_seconds=round(train_s, 2), predict_seconds=round(time.perf_counter() - t0, 2),
               epochs=epochs, steps=int(trainer.global_step), parameters=int(n_params), spec=spec.to_dict())
    if curve is not None:
        out["curve"] = curve.points
    return out
