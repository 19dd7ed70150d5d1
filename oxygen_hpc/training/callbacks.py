"""Callbacks: zone-adaptive sampling, the final-metrics file, a W&B map of predictions vs observations and a W&B
table of the validation errors per zone."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only


class ZoneAdaptiveSampling(pl.Callback):
    """After each validation, draw partitions of zones with higher validation error more often.

    Weight of zone z ∝ softmax(rmse_z / mean(rmse) / temperature); zones without validation targets keep the mean
    weight. The per-zone errors are summed across ranks by the metric, so every rank sets the same weights.

    Args:
        temperature: softmax temperature (smaller = more aggressive); ``floor``: minimum weight relative to 1/Z.
    """

    def __init__(self, temperature: float = 1.0, floor: float = 0.2):
        self.temperature, self.floor = float(temperature), float(floor)
        self.weights: dict[int, float] = {}

    def compute_weights(self, zone_rmse: dict[int, float], n_zones: int) -> dict[int, float]:
        if not zone_rmse:
            return {}
        mean = sum(zone_rmse.values()) / len(zone_rmse)
        scores = {z: zone_rmse.get(z, mean) / max(mean, 1e-12) / self.temperature for z in range(n_zones)}
        top = max(scores.values())
        exp = {z: math.exp(s - top) for z, s in scores.items()}
        tot = sum(exp.values())
        w = {z: max(e / tot, self.floor / n_zones) for z, e in exp.items()}
        tot = sum(w.values())
        return {z: v / tot for z, v in w.items()}

    @staticmethod
    def current_zone_rmse(pl_module: pl.LightningModule) -> dict[int, float]:
        """This validation's per-zone RMSE, from the module's ``val_zone`` metric (synced across ranks). Lightning
        calls callbacks' ``on_validation_epoch_end`` before the module's, so the module's ``zone_rmse`` still holds
        the previous validation's here; the metric holds this one's until the module resets it."""
        zm = getattr(pl_module, "val_zone", None)
        if zm is None:
            return dict(getattr(pl_module, "zone_rmse", None) or {})
        if not zm.update_called:
            return {}
        _, rmse, count = zm.compute()
        return {z: float(rmse[z]) for z in range(len(count)) if count[z] > 0}

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        zr = self.current_zone_rmse(pl_module)
        if not zr:
            return
        self.weights = self.compute_weights(zr, pl_module.hparams.n_zones)
        dm = trainer.datamodule
        if dm is not None and hasattr(dm, "set_zone_weights"):
            dm.set_zone_weights(self.weights)
        for z, w in self.weights.items():
            pl_module.log(f"sampling/weight_{z:02d}", w, sync_dist=False)

    def state_dict(self) -> dict:
        return {"weights": self.weights}

    def load_state_dict(self, state: dict) -> None:
        self.weights = {int(k): float(v) for k, v in state.get("weights", {}).items()}

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.weights and trainer.datamodule is not None:      # restored from a checkpoint
            trainer.datamodule.set_zone_weights(self.weights)


class FinalMetrics(pl.Callback):
    """Writes ``<default_root_dir>/metrics.json`` (flat, the last logged value of every metric) at the end of
    fit and test: what ``oxygen-hpc sweep report`` reads."""

    def _write(self, trainer: pl.Trainer) -> None:
        if trainer.global_rank != 0:
            return
        path = Path(trainer.default_root_dir) / "metrics.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        for k, v in trainer.callback_metrics.items():
            v = float(v.detach().cpu()) if isinstance(v, torch.Tensor) else float(v)
            if math.isfinite(v):
                old[k] = v
        old["epoch"] = trainer.current_epoch
        old["global_step"] = trainer.global_step
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(old, indent=1, sort_keys=True))

    def on_fit_end(self, trainer, pl_module) -> None:
        self._write(trainer)

    def on_test_end(self, trainer, pl_module) -> None:
        self._write(trainer)


class PredictionMap(pl.Callback):
    """Logs a map image (prediction vs observation at one depth level) to W&B after validation (rank 0)."""

    def __init__(self, level: int = 0, every_n_epochs: int = 1):
        self.level, self.every = int(level), int(every_n_epochs)
        self._rows: list = []

    def on_validation_epoch_start(self, trainer, pl_module) -> None:
        self._rows = []

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if trainer.global_rank == 0 and outputs is not None:
            m = outputs["mask"]
            self._rows.append((batch.cell[m].cpu(), outputs["pred"][m].cpu(), batch.y[m].cpu()))

    @rank_zero_only
    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or not self._rows or trainer.current_epoch % self.every:
            return
        from pytorch_lightning.loggers import WandbLogger

        loggers = [lg for lg in trainer.loggers if isinstance(lg, WandbLogger)]
        if not loggers:
            return
        from oxygen_hpc.training.plots import prediction_map

        grid = trainer.datamodule.manifest.grid
        cell = torch.cat([r[0] for r in self._rows]).numpy()
        pred = torch.cat([r[1] for r in self._rows]).float().numpy()
        obs = torch.cat([r[2] for r in self._rows]).float().numpy()
        image = prediction_map(grid, cell, pred, obs, self.level, title=f"epoch {trainer.current_epoch}")
        if image is not None:
            import wandb

            loggers[0].experiment.log({"val/map": wandb.Image(image), "epoch": trainer.current_epoch})


class ZoneErrorTable(pl.Callback):
    """After each validation, a W&B table ``val/zone_errors``: one row per zone with its lon/lat box, the number of
    validation targets, MAE, RMSE and mean error (µmol/kg) — where the model is wrong, zone by zone.

    The errors are the task's ``val_zone`` metric, computed here (summed across ranks: every rank calls it, the
    task's own epoch end then reuses the result), so the table covers all ranks' targets. Rank 0 logs it."""

    COLUMNS = ["zone", "lon_min", "lon_max", "lat_min", "lat_max", "n_targets", "mae", "rmse", "bias"]

    def on_validation_epoch_start(self, trainer, pl_module) -> None:
        self._bias_sum = torch.zeros(int(getattr(pl_module.hparams, "n_zones", 0) or 0), dtype=torch.float64)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if outputs is None or not len(self._bias_sum):
            return
        m = outputs["mask"]
        zone = batch.zone.reshape(-1)[batch.batch] if getattr(batch, "batch", None) is not None \
            else batch.zone.reshape(-1).expand(m.shape[0])
        e = (outputs["pred"][m] - batch.y[m]).double().cpu()
        self._bias_sum.index_add_(0, zone[m].long().cpu().clamp(0, len(self._bias_sum) - 1), e)

    def rows(self, grid, mae, rmse, count, bias_sum) -> list[list]:
        w, h = 360.0 / grid.zones_lon, 180.0 / grid.zones_lat
        out = []
        for z in range(len(count)):
            n = int(count[z])
            if n == 0:
                continue
            zj, zi = divmod(z, grid.zones_lon)
            out.append([z, -180 + zi * w, -180 + (zi + 1) * w, -90 + zj * h, -90 + (zj + 1) * h, n,
                        float(mae[z]), float(rmse[z]), float(bias_sum[z]) / n])
        return out

    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        from pytorch_lightning.loggers import WandbLogger

        metric = getattr(pl_module, "val_zone", None)
        loggers = [lg for lg in trainer.loggers if isinstance(lg, WandbLogger)]
        if trainer.sanity_checking or metric is None or not loggers or trainer.datamodule is None:
            return
        mae, rmse, count = metric.compute()              # collective: every rank calls it
        bias = self._bias_sum.to(pl_module.device)
        if trainer.world_size > 1:
            bias = trainer.strategy.reduce(bias, reduce_op="sum")
        if trainer.global_rank != 0 or int(count.sum()) == 0:
            return
        import wandb

        rows = self.rows(trainer.datamodule.manifest.grid, mae.cpu(), rmse.cpu(), count.cpu(), bias.cpu())
        loggers[0].experiment.log({"val/zone_errors": wandb.Table(columns=self.COLUMNS, data=rows),
                                   "epoch": trainer.current_epoch})
