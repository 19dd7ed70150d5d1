"""`oxygen-hpc fit|validate|test --config configs/train/<name>.yaml` — LightningCLI with this project's defaults.

Defaults a user gets without writing them: checkpoints best + last in ``<default_root_dir>/checkpoints``; a
CSVLogger always, and a WandbLogger (offline unless ``wandb.mode: online``) whose run id is kept in
``<default_root_dir>/wandb_run_id`` so a requeued or restarted job continues the same run (only rank 0 creates
it); the resolved config saved in the run directory and sent to W&B; learning rate and gradient norm logged;
``metrics.json`` written at the end. A job whose run directory holds a checkpoint resumes from it (a Slurm
requeue checkpoint first, else ``last.ckpt``) only if it belongs to this run: same model+data config, strategy and
world size as recorded by the run's first fit (``training.resume``); else it stops at once saying why. Checkpoints
are restored with ``weights_only=True``. Bad partitions, a foreign run directory or a network class outside the
project's models (and the config's ``allowed_models``): one line naming the file or key, exit status 2.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint
from pytorch_lightning.cli import LightningCLI, SaveConfigCallback
from pytorch_lightning.loggers import CSVLogger, WandbLogger

from oxygen_hpc.training.callbacks import FinalMetrics, PredictionMap
from oxygen_hpc.training.resume import RunMismatch
from oxygen_contracts.compose import ComposeError, expand_argv
from oxygen_contracts.manifest import ManifestError
from oxygen_contracts.partitions import PartitionError

WANDB_MODES = ("offline", "online", "disabled")


def run_dir(trainer_cfg) -> Path:
    return Path(trainer_cfg.get("default_root_dir") or "runs/default").resolve()


def wandb_run_id(root: Path) -> str | None:
    """The run id of this run directory; rank 0 creates it once. Other ranks never create a W&B run."""
    from lightning_fabric.utilities.rank_zero import rank_zero_only

    path = root / "wandb_run_id"
    if path.exists():
        return path.read_text().strip()
    if getattr(rank_zero_only, "rank", 0) != 0:
        return None
    import secrets
    import string

    rid = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    root.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(rid)
    os.replace(tmp, path)
    return rid


class WandbConfigSaver(SaveConfigCallback):
    """Saves the resolved config in the run directory (overwriting on requeue) and into the W&B run."""

    def save_config(self, trainer, pl_module, stage: str) -> None:
        for lg in trainer.loggers:
            if isinstance(lg, WandbLogger) and trainer.global_rank == 0:
                lg.experiment.config.update(self.config.as_dict(), allow_val_change=True)


class OxyCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--wandb.mode", default="offline", choices=WANDB_MODES,
                            help="offline (default: runs written locally, `wandb sync` later), online, disabled")
        parser.add_argument("--wandb.project", default="oxygen-hpc")
        parser.add_argument("--wandb.entity", default=None, type=str | None)
        parser.add_argument("--wandb.tags", default=[], type=list[str])
        parser.add_argument("--wandb.group", default=None, type=str | None)
        parser.add_argument("--wandb.log_map_level", default=0, type=int,
                            help="depth level of the validation map image logged to W&B (-1: none)")

    def _sub(self):
        return self.config[self.subcommand] if self.subcommand else self.config

    def _parse_ckpt_path(self) -> None:
        """LightningCLI would parse a ``--ckpt_path`` checkpoint's hyper-parameters over the config: a file from
        others would then choose the classes built (and their allow-list) and override the user's settings. Here
        the config alone decides what is built; the checkpoint only restores state (``weights_only``)."""

    def before_instantiate_classes(self) -> None:
        c = self._sub()
        root = run_dir(c.trainer)
        c.trainer.default_root_dir = str(root)
        root.mkdir(parents=True, exist_ok=True)
        mode = os.environ.get("WANDB_MODE") or c.wandb.mode
        os.environ["WANDB_MODE"] = mode
        for var, sub in (("WANDB_DIR", ""), ("WANDB_CACHE_DIR", ".wandb/cache"), ("WANDB_CONFIG_DIR", ".wandb/config")):
            os.environ.setdefault(var, str(root / sub) if sub else str(root))
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("WANDB_SILENT", "true")
        if "weights_only" in c and c.get("weights_only") is None:
            c.weights_only = True                  # restore checkpoints as tensors and plain data, never unpickle

    def before_fit(self) -> None:
        """Resume only this run's checkpoint (``training.resume``): here the trainer knows its strategy and world
        size, and nothing has been read or launched yet."""
        from oxygen_hpc.training import resume

        c, t = self._sub(), self.trainer
        ident = resume.identity(c.model.as_dict(), c.data.as_dict(), resume.strategy_name(t.strategy),
                                t.num_nodes, t.num_devices, base=os.getcwd())
        ckpt = resume.check(Path(t.default_root_dir), ident, explicit_ckpt=c.get("ckpt_path") is not None)
        target = c.get("ckpt_path") or ckpt
        if target is not None and Path(target).is_file():      # damaged or pickled: one line naming the file
            from oxygen_hpc.training.checkpoint import read_checkpoint

            read_checkpoint(target)
        if ckpt is not None and ckpt.parent.name == "checkpoints":   # Lightning restores hpc_ckpt_* under Slurm
            self.config_init[self.subcommand]["ckpt_path"] = str(ckpt)
            print(f"oxygen-hpc: resuming from {ckpt}", file=sys.stderr)

    def instantiate_trainer(self, **kwargs):
        c = self._sub()
        root = Path(c.trainer.default_root_dir)
        if c.trainer.get("logger") in (None, True):
            loggers = [CSVLogger(str(root), name="csv", version="")]
            if c.wandb.mode != "disabled" and os.environ.get("WANDB_MODE") != "disabled":
                loggers.append(WandbLogger(project=c.wandb.project, entity=c.wandb.entity, tags=list(c.wandb.tags),
                                           group=c.wandb.group, id=wandb_run_id(root), resume="allow",
                                           save_dir=str(root), offline=os.environ["WANDB_MODE"] == "offline"))
            kwargs["logger"] = loggers
        cbs = list(self._get(self.config_init, "trainer", default={}).get("callbacks") or [])
        extra = []
        if not any(isinstance(cb, ModelCheckpoint) for cb in cbs):
            extra.append(ModelCheckpoint(dirpath=str(root / "checkpoints"), filename="best-{epoch:03d}",
                                         monitor="val/rmse", mode="min", save_top_k=1, save_last=True))
        extra += [FinalMetrics(), LearningRateMonitor(logging_interval="epoch")]
        from oxygen_hpc.training.callbacks import ZoneErrorTable
        from oxygen_hpc.training.progress import FitProgress   # steps, loss, ETA: a bar on a TTY, else lines

        extra += [ZoneErrorTable()] + ([] if any(isinstance(cb, FitProgress) for cb in cbs) else [FitProgress()])
        if c.wandb.log_map_level >= 0:
            extra.append(PredictionMap(level=c.wandb.log_map_level))
        from oxygen_hpc.training.requeue import SlurmRequeue, slurm_environment

        env = slurm_environment()           # under Slurm: the requeue at a step all ranks agree on (requeue.py)
        if env is not None:
            from lightning_fabric.plugins.environments import ClusterEnvironment

            plugins = self._get(self.config_init, "trainer", default={}).get("plugins") or []
            plugins = list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
            if not any(isinstance(p, ClusterEnvironment) for p in plugins):
                kwargs["plugins"] = plugins + [env]
            if not any(isinstance(cb, SlurmRequeue) for cb in cbs):
                extra.append(SlurmRequeue())
        kwargs["callbacks"] = cbs + extra
        return super().instantiate_trainer(**kwargs)


def main(argv: list[str]) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")     # idle OpenMP threads must not spin against DDP peers

    # The DDP launcher re-runs sys.argv for the other ranks, which compose the same configs again.
    try:
        args = expand_argv(list(argv))
    except ComposeError as e:
        print(f"oxygen-hpc: {e}", file=sys.stderr)
        return 2
    try:
        build_cli(args)
    except Exception as e:                       # noqa: BLE001 (only bad input is answered; the rest re-raised)
        bad = _bad_input(e)
        if bad is None:
            raise
        print(f"oxygen-hpc {argv[0] if argv else 'fit'}: {bad}", file=sys.stderr)
        return 2
    return 0


def _bad_input(e: BaseException) -> str | None:
    """The one-line message of a bad-input error of this project (also when jsonargparse wrapped it while building
    the classes), else None. One re-raised from a DataLoader worker carries the worker's traceback, whose last
    line is the original ``module.Error: message``."""
    from oxygen_hpc.training.checkpoint import CheckpointError
    from oxygen_hpc.training.task import ModelClassError

    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, (RunMismatch, ManifestError, PartitionError, ModelClassError, CheckpointError)):
            text = str(e).strip()
            return (text.splitlines()[-1].partition(": ")[2] or text) if "Original Traceback" in text else text
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def build_cli(args: list[str], run: bool = True, **kwargs) -> OxyCLI:
    """The one way this project builds a Trainer, task and datamodule from configs: ``oxygen-hpc fit`` (``run``)
    and the OSSE harness (``run=False``, then ``cli.trainer.fit(cli.model, datamodule=cli.datamodule)``). The
    configs are composed first (``oxygen_contracts.compose.expand_argv``; a :class:`ComposeError` names the file)."""
    from oxygen_hpc.data.datamodule import PartitionDataModule
    from oxygen_hpc.training.strategies import register
    from oxygen_hpc.training.task import OxyTask

    register()
    args = expand_argv(list(args))
    if not run:     # called from Python (the harness) whose own sys.argv is not this command line
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
    return OxyCLI(OxyTask, PartitionDataModule, subclass_mode_model=True, subclass_mode_data=True, args=args,
                  run=run, save_config_callback=WandbConfigSaver, save_config_kwargs={"overwrite": True},
                  parser_kwargs={"default_env": False}, auto_configure_optimizers=False, **kwargs)
