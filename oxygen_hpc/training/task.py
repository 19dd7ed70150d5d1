"""``OxyTask``: the LightningModule that trains any model of ``oxygen_hpc.models`` on HDF5 partitions.

The network is named in the config (``model: {class_path, init_args}``) and built in ``configure_model`` once the
datamodule knows the feature dimensions (from the partitions' manifest); the dimensions are saved with the
hyper-parameters, so ``OxyTask.load_from_checkpoint`` rebuilds it without data.
Configs and checkpoints choose no code: the network's ``class_path`` must be one of the project's models
(:func:`model_registry`) or a class the user names in ``allowed_models`` of their own config; a checkpoint is read
with ``weights_only`` and its hyper-parameters (its allow-list included) are never trusted (``training.checkpoint``).
Loss: masked MSE + λ·(Var ∂ŷ/∂PO4 + Var ∂ŷ/∂NO3) (``oxygen_hpc.training.losses``).
"""
from __future__ import annotations

import importlib
import inspect
import math
from pathlib import Path
from typing import Any, Sequence

import pytorch_lightning as pl
import torch

from oxygen_hpc.training.losses import regularised_loss, target_mask
from oxygen_hpc.training.metrics import ZoneErrors, global_metrics

DATA_DECIDES = ("use_obs_inputs", "use_background")   # model arguments the datamodule sets (``dims``)


class ModelClassError(ValueError):
    """A ``class_path`` that is neither a model of this project nor allowed by the user's own config."""


def model_registry() -> dict[str, type]:
    """The project's networks by every class path that names them (``oxygen_hpc.models.OxyGenerator`` and
    ``oxygen_hpc.models.oxygenerator.OxyGenerator``): the classes a config or checkpoint may build unasked."""
    from oxygen_hpc.models import NEURAL_MODELS

    reg = {}
    for cls in NEURAL_MODELS.values():
        reg[f"oxygen_hpc.models.{cls.__name__}"] = reg[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return reg


def build_network(spec: dict, dims: dict, allowed: Sequence[str] = ()) -> torch.nn.Module:
    """Instantiate ``spec['class_path']`` with ``spec['init_args']`` plus what the data decides: the feature
    dimensions, ``use_obs_inputs`` and ``use_background`` (set once, on the datamodule; an ``init_args`` value that disagrees is an
    error, not a silent override). ``allowed``: class paths outside the project's models the user allows."""
    cls = resolve_class(spec, allowed)
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in dims.items() if k in params}
    init_args = dict(spec.get("init_args") or {})
    for k in DATA_DECIDES:
        if k in init_args and k in kwargs and bool(init_args[k]) != bool(kwargs[k]):
            where = "data.init_args.background (a path)" if k == "use_background" else f"data.init_args.{k}"
            raise ValueError(f"model.init_args.{k}={init_args[k]} disagrees with the data's {k}={kwargs[k]}: "
                             f"set it once, as {where}, and remove it from the model")
    kwargs.update(init_args)
    return cls(**kwargs)


def resolve_class(spec: dict, allowed: Sequence[str] = ()):
    """The network class of ``spec``: a project model, or a ``torch.nn.Module`` whose class path is in ``allowed``
    (only then is its module imported). Anything else is a :class:`ModelClassError` and nothing is imported."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_path"), str):
        raise ValueError("model must be a mapping with class_path (and init_args)")
    path, registry = spec["class_path"], model_registry()
    if path in registry:
        cls = registry[path]
    elif path in set(allowed or ()):
        mod, _, name = path.rpartition(".")
        try:
            cls = getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError, ValueError):
            raise ValueError(f"model.class_path: cannot import {path!r}") from None
        if not (inspect.isclass(cls) and issubclass(cls, torch.nn.Module)):
            raise ModelClassError(f"model.class_path {path!r} is not a torch.nn.Module subclass")
    else:
        names = sorted({c.__name__ for c in registry.values()})
        raise ModelClassError(
            f"model.class_path {path!r} is not a model of this project (oxygen_hpc.models: {', '.join(names)}) and "
            "was not built. To use your own network, name its class path in your own config's allow-list: "
            "model.init_args.allowed_models (training) or allowed_models / --allow-model (predict)")
    if not isinstance(spec.get("init_args") or {}, dict):
        raise ValueError(f"model.init_args of {path} must be a mapping")
    stray = sorted(set(spec) - {"class_path", "init_args"})
    if stray:                                  # e.g. a CLI override that landed beside init_args: never ignore it
        raise ValueError(f"model: unknown key(s) {stray} beside class_path/init_args of {path} (the network's "
                         f"arguments go under init_args: model.init_args.model.init_args.{stray[0]})")
    params = inspect.signature(cls.__init__).parameters
    unknown = [k for k in (spec.get("init_args") or {}) if k not in params]
    if unknown:
        raise ValueError(f"model.init_args: unknown key(s) {unknown} for {spec['class_path']} "
                         f"(known: {', '.join(p for p in params if p != 'self')})")
    return cls


class OxyTask(pl.LightningModule):
    """Args:
        model: ``{class_path: oxygen_hpc.models.OxyGenerator, init_args: {...}}`` (dims come from the data).
        lam: weight λ of the chemistry regulariser (0 = off).
        redfield_anchor: optional target mean ∂ẑ/∂PO4ₙ (normalised units; see ``losses.redfield_slope``).
        lr, weight_decay: AdamW settings. The learning rate warms up linearly over the first ``warmup_fraction``
            of the optimiser steps, then follows a cosine to ``lr_min`` at the last step
            (``trainer.estimated_stepping_batches``; constant after the warm-up when the run has no step limit).
        n_zones: zones for per-zone metrics (default from the data).
        dims: feature dimensions (filled in from the data; stored in checkpoints).
        allowed_models: class paths of networks outside ``oxygen_hpc.models`` this config may build (never saved
            in checkpoints: whoever loads one passes their own, see :meth:`load_from_checkpoint`).
    """

    def __init__(self, model: dict, lam: float = 0.1, redfield_anchor: float | None = None, lr: float = 3e-3,
                 weight_decay: float = 1e-4, lr_min: float = 1e-4, n_zones: int | None = None,
                 dims: dict | None = None, warmup_fraction: float = 0.02, allowed_models: list[str] | None = None):
        if not 0.0 <= warmup_fraction < 1.0:
            raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction}")
        super().__init__()
        self.allowed_models = list(allowed_models or ())
        resolve_class(model, self.allowed_models)  # fail at config time, not after the data is loaded
        self.save_hyperparameters(ignore=["allowed_models"])
        self.net: torch.nn.Module | None = None
        if dims is not None:
            self._build(dims, n_zones)

    # -- building ---------------------------------------------------------------------------------------------
    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: str | Path, map_location: Any = "cpu",
                             allowed_models: Sequence[str] = (), strict: bool = True,
                             weights_only: bool | None = None, **overrides) -> "OxyTask":
        """The task of a checkpoint, read safely (``training.checkpoint.load_task``): ``weights_only``, only this
        class's own arguments from its hyper-parameters, and a network class of this project or of the caller's
        ``allowed_models``. A bad checkpoint raises :class:`~oxygen_hpc.training.checkpoint.CheckpointError`
        naming the file. ``weights_only=False`` is refused: a checkpoint is never unpickled."""
        from oxygen_hpc.training.checkpoint import load_task

        if weights_only is False:
            raise ValueError("OxyTask.load_from_checkpoint: weights_only=False is not supported (it would unpickle "
                             "the file, which can run code)")

        return load_task(cls, checkpoint_path, allowed_models, map_location, strict, **overrides)

    def _build(self, dims: dict, n_zones: int | None) -> None:
        self.net = build_network(self.hparams.model, dims, self.allowed_models)
        self.hparams.dims = dict(dims)
        self.hparams.n_zones = int(n_zones or dims.get("n_zones", 32))
        z = self.hparams.n_zones
        self.val_metrics, self.test_metrics = global_metrics("val/"), global_metrics("test/")
        self.val_zone, self.test_zone = ZoneErrors(z), ZoneErrors(z)

    def configure_model(self) -> None:
        if self.net is not None:
            return
        dm = self.trainer.datamodule
        self._build(dm.dims, dm.dims.get("n_zones"))

    def forward(self, batch: Any) -> torch.Tensor:
        return self.net(batch)

    # -- steps ------------------------------------------------------------------------------------------------
    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        total, parts = regularised_loss(self.net, batch, self.hparams.lam, self.hparams.redfield_anchor)
        n = int(parts["n_targets"])
        bs = max(n, 1)
        self.log("train/loss", total, batch_size=bs, prog_bar=True, sync_dist=True)
        for k in ("mse", "reg_po4", "reg_no3", "grad_po4_mean"):
            self.log(f"train/{k}", parts[k], batch_size=bs, sync_dist=True)
        self.log("train/labelled_nodes", float(n), reduce_fx="sum", sync_dist=True)
        return total

    def _eval_step(self, batch: Any, metrics, zone_metric) -> dict:
        pred = self.net(batch)
        mask = target_mask(batch)
        if bool(mask.any()):
            metrics.update(pred[mask], batch.y[mask])
            zone_of_node = batch.zone.reshape(-1)[batch.batch] if hasattr(batch, "batch") and batch.batch is not None \
                else batch.zone.reshape(-1).expand(pred.shape[0])
            zone_metric.update(pred[mask], batch.y[mask], zone_of_node[mask])
        return {"pred": pred.detach(), "mask": mask}

    def validation_step(self, batch: Any, batch_idx: int) -> dict:
        return self._eval_step(batch, self.val_metrics, self.val_zone)

    def test_step(self, batch: Any, batch_idx: int) -> dict:
        return self._eval_step(batch, self.test_metrics, self.test_zone)

    def _eval_epoch_end(self, stage: str, metrics, zone_metric) -> None:
        if int(zone_metric.count.sum()) == 0:       # nothing labelled in this split (tiny runs)
            metrics.reset(), zone_metric.reset()
            return
        self.log_dict(metrics.compute(), sync_dist=True)        # identical on every rank: the mean is the value
        mae, rmse, count = zone_metric.compute()
        self.zone_rmse = {int(z): float(rmse[z]) for z in range(len(count)) if count[z] > 0}
        for z, v in self.zone_rmse.items():
            self.log(f"{stage}_zone/rmse_{z:02d}", v, sync_dist=True)
        metrics.reset(), zone_metric.reset()

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val", self.val_metrics, self.val_zone)

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test", self.test_metrics, self.test_zone)

    def predict_step(self, batch: Any, batch_idx: int) -> dict:
        pred = self.net(batch)
        return {"pred": pred.float().cpu(), "cell": batch.cell.cpu(), "owned": batch.owned.cpu(),
                "year": batch.year.reshape(-1)[batch.batch].cpu() if getattr(batch, "batch", None) is not None
                else batch.year.reshape(-1).expand(pred.shape[0]).cpu()}

    # -- optimisation -----------------------------------------------------------------------------------------
    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        factor = WarmupCosine(None, self.hparams.get("warmup_fraction", 0.02),
                              min(self.hparams.lr_min / self.hparams.lr, 1.0))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_train_start(self) -> None:
        """Give the schedule the run's length once the train loader exists (asking for it in
        ``configure_optimizers`` would build a second loader, which breaks the mid-epoch resume). A run resumed
        with the same limits keeps its schedule exactly; one resumed with more epochs stretches it to the new end."""
        total = float(self.trainer.estimated_stepping_batches)
        for cfg in self.trainer.lr_scheduler_configs:
            sched = cfg.scheduler
            for f, group, base in zip(getattr(sched, "lr_lambdas", []), sched.optimizer.param_groups, sched.base_lrs):
                if isinstance(f, WarmupCosine) and f.total != total:
                    f.set_total(total)
                    group["lr"] = base * f(sched.last_epoch)


class WarmupCosine:
    """Learning-rate factor at optimiser step ``s`` of ``total``: linear warm-up over ``warmup_fraction·total``
    steps, then a cosine from 1 to ``floor``. ``total`` infinite (no step limit): 1 after a 100-step warm-up;
    ``None``: not known yet (:meth:`set_total`). A class, not a closure, so its state goes into checkpoints."""

    def __init__(self, total: float | None, warmup_fraction: float, floor: float):
        self.warmup_fraction, self.floor = float(warmup_fraction), float(floor)
        self.set_total(total)

    def set_total(self, total: float | None) -> None:
        self.total = total
        t = math.inf if total is None else total
        self.warmup = 100 if math.isinf(t) else max(int(self.warmup_fraction * t), 1)

    def __call__(self, s: int) -> float:
        if s < self.warmup:
            return (s + 1) / self.warmup
        if self.total is None or math.isinf(self.total):
            return 1.0
        t = min((s - self.warmup) / max(self.total - self.warmup, 1), 1.0)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * t))
