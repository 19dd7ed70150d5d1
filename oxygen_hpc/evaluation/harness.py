"""Train and evaluate one method on fixed folds: neural models through the same LightningCLI path as
``oxygen-hpc fit`` (``oxygen_hpc.training.cli.build_cli``), table baselines through ``fit(train_table) / predict(table)``.

Every method is scored on the same nodes: held-out observations (owned nodes of ``test_fold``, against the
observed binned value), the validation fold (for choosing hyper-parameters, never the test fold), and a sample of
never-observed nodes against the truth. Neural predictions come from one pass over the ``test``-stage dataset,
where every input from the validation and test folds is hidden (``oxygen_hpc.data.masking``), so the
predictions at validation, test and never-observed nodes never see a held-out observation.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml

from oxygen_contracts.compose import ComposeError
from oxygen_hpc.evaluation.metrics import regression_metrics


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


def _years(years) -> list[int] | None:
    return None if years is None else [int(y) for y in years]


def _arg(value: Any) -> str:
    return "null" if value is None else json.dumps(value) if isinstance(value, (list, tuple, bool)) else str(value)


def run_neural(config: dict, root: str | Path, sets: EvalSets, val_fold: int, test_fold: int, epochs: int,
               seed: int = 0, batch_size: int = 16, num_workers: int = 1, work_dir: str | Path | None = None,
               limit_train_batches: Any = None, years=None, train_years: Any = "same",
               curve_every: int | None = None, overrides: dict[str, Any] | None = None,
               return_predictions: bool = False) -> dict:
    """Train the composed train ``config`` (``oxygen_hpc.evaluation.methods``) for ``epochs`` on CPU (one device)
    on the partitions of ``train_years`` (``"same"``: those of ``years``; ``None``: all), validate (zone-adaptive
    sampling) and score it on those of ``years`` (the evaluation nodes must lie in those years).

    The Trainer, task and datamodule are built by ``oxygen_hpc.training.cli.build_cli``, exactly as ``oxygen-hpc
    fit`` builds them; the harness only fixes what a benchmark must fix (CPU, folds, years, budget, seed, no W&B,
    its own run directory) and ``overrides`` (dotted config keys → values, e.g. ``{"model.init_args.lr": 0.01}``)
    applied to every method alike. ``curve_every``: also validate every that many optimiser steps and return the
    learning curve ``[[step, val RMSE], ...]`` as ``"curve"`` (validation then runs every ``curve_every`` steps
    instead of at epoch ends, so the zone-adaptive callback also re-weights the zones that often).
    ``return_predictions``: also return the predictions at the validation, test and never-observed nodes as
    ``"predictions"`` (for ensembles, :mod:`oxygen_hpc.evaluation.ensemble`)."""
    import tempfile

    from oxygen_hpc.evaluation.methods import zone_adaptive
    from oxygen_hpc.training.cli import build_cli

    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="osse_run_")
        work_dir = tmp.name
    curve = _curve_callback() if curve_every else None
    fixed = {
        "seed_everything": seed,
        "trainer.accelerator": "cpu", "trainer.devices": 1, "trainer.num_nodes": 1, "trainer.strategy": "auto",
        "trainer.precision": "32-true", "trainer.max_epochs": epochs, "trainer.num_sanity_val_steps": 0,
        "trainer.enable_progress_bar": False, "trainer.enable_model_summary": False,
        "trainer.limit_val_batches": 1.0 if zone_adaptive(config) or curve is not None else 0,
        "trainer.limit_train_batches": limit_train_batches, "trainer.default_root_dir": str(work_dir),
        "data.init_args.root": str(root), "data.init_args.val_fold": val_fold, "data.init_args.test_fold": test_fold,
        "data.init_args.years": _years(years if train_years == "same" else train_years),
        "data.init_args.eval_years": _years(years),
        "data.init_args.batch_size": batch_size, "data.init_args.num_workers": num_workers,
        "data.init_args.prefetch_factor": 4 if num_workers else None,
        "data.init_args.persistent_workers": num_workers > 0, "data.init_args.pin_memory": False,
        "data.init_args.seed": seed, "wandb.mode": "disabled", "wandb.log_map_level": -1,
    }
    if curve is not None:
        fixed.update({"trainer.val_check_interval": int(curve_every), "trainer.check_val_every_n_epoch": None})
    args = ["--config", yaml.safe_dump(config, sort_keys=False)]
    args += [f"--{k}={_arg(v)}" for k, v in {**fixed, **(overrides or {})}.items()]
    env = dict(os.environ)                   # the CLI sets WANDB_* for its run: not for the caller's later runs
    try:
        try:
            cli = build_cli(args, run=False)
        except ComposeError as e:
            raise ValueError(f"the train config could not be composed: {e}") from None
        except SystemExit as e:             # the CLI printed what it rejected; a harness must not exit
            raise ValueError(f"the train config or an override was rejected by the CLI (exit {e.code}): "
                             f"{', '.join(overrides or {}) or 'see the message above'}") from None
        if curve is not None:
            cli.trainer.callbacks.append(curve)
        task, dm = cli.model, cli.datamodule
        t0 = time.perf_counter()
        cli.trainer.fit(task, datamodule=dm)
        train_s = time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(env)
    t0 = time.perf_counter()
    dm.setup("test")
    keys, pred = predict_owned(task.net, dm.test_dataloader(), sets.ncells)
    preds = [_lookup(keys, pred, sets.key(t)) for t in (sets.val, sets.test, sets.unobserved)]
    out = score(sets, *preds)
    if return_predictions:
        out["predictions"] = preds              # [val, test, unobserved] arrays, µmol/kg (not JSON: pop it)
    n_params = sum(p.numel() for p in task.net.parameters())
    out.update(kind="neural", train_seconds=round(train_s, 2), predict_seconds=round(time.perf_counter() - t0, 2),
               epochs=epochs, steps=int(cli.trainer.global_step), parameters=int(n_params), config=config,
               overrides=dict(overrides or {}), fit_subgraph=bool(dm.fit_subgraph),
               hparams={k: v for k, v in task.hparams.items() if k != "dims"})
    if curve is not None:
        out["curve"] = curve.points
    if tmp is not None:
        tmp.cleanup()
    return out
