"""Predict every ocean cell of every year: years split across ranks, whole partitions packed into batches.

Each rank takes whole years (:func:`ranks.assign_years`, by size), so every ``o2_YYYY.nc`` has exactly one writer.
A year's partitions (PartitionDataset, stage ``predict``: no fold hidden) are packed up to ``batch_nodes`` nodes
per forward pass; every ensemble member runs in eval mode under ``torch.inference_mode``; only OWNED nodes are
scattered into the year's grid, so zone borders leave no seams (halos of k = layers hops make owned predictions
equal to whole-graph ones). Before writing, the year is checked: no cell written twice, as many cells written as
the manifest's owned nodes, the same ocean cells as the rank's other years, every value finite.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from oxygen_hpc.inference import writer
from oxygen_hpc.inference.config import BATCH_NODES, InferConfig
from oxygen_hpc.inference.ranks import Ranks, assign_years
from oxygen_contracts.hashing import sha256_file
from oxygen_contracts.manifest import ManifestError, PartitionManifest
from oxygen_contracts.partitions import PartitionError
from oxygen_hpc.data.background import BackgroundError


class PredictError(ValueError):
    """A bad input (one line)."""


def _one_line(e: BaseException) -> str:
    """The message of a bad-input error; one re-raised from a DataLoader worker carries the worker's traceback,
    whose last line is the original ``module.Error: message``."""
    text = str(e).strip()
    if "Original Traceback" in text:
        text = text.splitlines()[-1].partition(": ")[2] or text
    return text


@dataclass
class YearStats:
    year: int
    rank: int
    skipped: bool = False
    nodes: int = 0           # nodes through the model (owned + halo)
    cells: int = 0           # ocean cells written
    read_s: float = 0.0      # loading + masking + collating partitions
    model_s: float = 0.0     # forward passes (all members)
    write_s: float = 0.0     # NetCDF
    total_s: float = 0.0


def pick_device(cfg: InferConfig, ranks: Ranks) -> torch.device:
    want = cfg.device
    if want == "auto":
        want = "cuda" if torch.cuda.is_available() else "cpu"
    if want == "cuda":
        if not torch.cuda.is_available():
            raise PredictError("device: cuda requested but torch.cuda.is_available() is False")
        return torch.device("cuda", ranks.local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def load_members(paths: list[str], device: torch.device, allowed_models=()) -> list[torch.nn.Module]:
    """The networks of the checkpoints, read safely (``training.checkpoint``: weights only, the project's models
    or ``allowed_models`` from the user's config); a bad checkpoint is a :class:`PredictError` naming it."""
    from oxygen_hpc.training.checkpoint import CheckpointError
    from oxygen_hpc.training.task import OxyTask

    nets = []
    for p in paths:
        try:
            task = OxyTask.load_from_checkpoint(p, map_location="cpu", allowed_models=allowed_models)
        except CheckpointError as e:
            raise PredictError(str(e)) from None
        nets.append(task.net.eval().to(device))
    return nets


def collate(parts: list):
    """Partitions → one batch whose edges are ordered by target (the CPU aggregation then needs no sort)."""
    from torch_geometric.data import Batch

    from oxygen_hpc.nn.weighted_aggregate import sort_by_target

    batch = Batch.from_data_list(parts)
    if getattr(batch, "edge_attr", None) is not None:
        batch.edge_index, batch.edge_attr = sort_by_target(batch.edge_index, batch.edge_attr)
    else:
        (batch.edge_index,) = sort_by_target(batch.edge_index)
    return batch


def pack(sizes: list[int], limit: int) -> list[list[int]]:
    """Consecutive indices grouped so that each group holds at most ``limit`` nodes (a bigger item goes alone)."""
    packs, cur, n = [], [], 0
    for i, s in enumerate(sizes):
        if cur and n + s > limit:
            packs.append(cur)
            cur, n = [], 0
        cur.append(i)
        n += s
    return packs + ([cur] if cur else [])


class Predictor:
    """Args:
        cfg: the validated :class:`InferConfig` (``partitions`` and ``checkpoints`` set).
        ranks: this process's rank and world.
    """

    def __init__(self, cfg: InferConfig, ranks: Ranks):
        self.cfg, self.ranks = cfg, ranks
        try:
            self.manifest = PartitionManifest.read(cfg.partitions)
        except ManifestError as e:
            raise PredictError(str(e)) from None
        if not cfg.checkpoints:
            raise PredictError("checkpoints: none given (set it in the config or pass --checkpoint)")
        for c in cfg.checkpoints:
            if Path(c).is_dir() and (Path(c) / "checkpoint").is_dir():
                raise PredictError(
                    f"{c}: a DeepSpeed checkpoint folder (sharded; predict reads one file). Convert it once, then "
                    f"pass the file: python -c \"from pytorch_lightning.utilities.deepspeed import "
                    f"convert_zero_checkpoint_to_fp32_state_dict as c; c('{c}', '{Path(c).with_suffix('')}"
                    f"_fp32.ckpt')\" (docs/cluster.md)")
            if not Path(c).is_file():
                raise PredictError(f"checkpoint not found: {c}")
        self.grid = self.manifest.grid
        sizes: dict[int, int] = {}
        self.owned: dict[int, int] = {}
        for p in self.manifest["partitions"]:
            sizes[p["year"]] = sizes.get(p["year"], 0) + p["n_nodes"]
            self.owned[p["year"]] = self.owned.get(p["year"], 0) + p["n_owned"]
        if cfg.years is not None:
            sizes = {y: n for y, n in sizes.items() if cfg.years[0] <= y <= cfg.years[1]}
        if not sizes:
            raise PredictError(f"years: no partitions in {cfg.years} (partitions hold "
                               f"{min(self.owned)}-{max(self.owned)})")
        self.years = sorted(sizes)
        self.mine = assign_years(sizes, ranks.size)[ranks.rank]
        self.device = pick_device(cfg, ranks)
        self.batch_nodes = cfg.batch_nodes or BATCH_NODES[self.device.type]
        self.ckpt_sha = [sha256_file(c) for c in cfg.checkpoints]
        self.manifest_sha = self.manifest.sha256()
        key = {"checkpoints": self.ckpt_sha, "partitions_manifest": self.manifest_sha, "precision": cfg.precision}
        if cfg.spread_scale != 1.0:
            key["spread_scale"] = cfg.spread_scale
        if cfg.background is not None:
            if not Path(cfg.background).is_file():
                raise PredictError(f"background not found: {cfg.background}")
            key["background"] = sha256_file(cfg.background)
        if cfg.write_members:                             # o2_member in the file: another file
            key["write_members"] = True
        self.run_key = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        self.nets: list[torch.nn.Module] | None = None
        self._ocean: np.ndarray | None = None

    # -- provenance ------------------------------------------------------------------------------------------
    def attrs(self) -> dict:
        from oxygen_hpc import __version__

        cls = {type(n).__name__ for n in (self.nets or [])}
        return {"title": "OxyGenerator reconstruction of dissolved oxygen",
                "source": f"oxygen_hpc {__version__} predict ({', '.join(sorted(cls)) or 'model'})",
                "references": "Lu et al., OxyGenerator, ICML 2024 (arXiv:2405.07233)",
                "software_version": __version__, "checkpoints": [Path(c).name for c in self.cfg.checkpoints],
                "checkpoint_sha256": self.ckpt_sha, "ensemble_size": len(self.ckpt_sha),
                "partitions_manifest_sha256": self.manifest_sha, "grid": self.manifest["grid"],
                "config": {**asdict(self.cfg), "batch_nodes": self.batch_nodes}, "precision": self.cfg.precision,
                "device": self.device.type}

    # -- the run ---------------------------------------------------------------------------------------------
    def todo(self) -> tuple[list[int], list[int]]:
        """(years of this rank still to do, years already finished by a run with the same key)."""
        done = [y for y in self.mine if self.cfg.resume and writer.finished(writer.year_path(self.cfg.out, y),
                                                                             self.run_key)]
        return [y for y in self.mine if y not in done], done

    def _loader(self, years: list[int]):
        from oxygen_hpc.data.dataset import PartitionDataset

        scale = float(getattr(self.nets[0], "target_std", 20.0)) if self.nets else 20.0   # the anomalies' units
        ds = PartitionDataset(self.cfg.partitions, years=years, stage="predict", val_fold=None, test_fold=None,
                              background=self.cfg.background, anomaly_scale=scale)
        n_nodes = {(p["year"], p["zone"]): p["n_nodes"] for p in self.manifest["partitions"]}
        packs = []
        for y in years:
            idx = [i for i, (yy, _) in enumerate(ds.index) if yy == y]
            packs += [[idx[j] for j in g] for g in pack([n_nodes[ds.index[i]] for i in idx], self.batch_nodes)]
        kw = {"prefetch_factor": 2, "persistent_workers": False} if self.cfg.num_workers > 0 else {}
        return ds, torch.utils.data.DataLoader(ds, batch_sampler=packs, collate_fn=collate,
                                               num_workers=self.cfg.num_workers,
                                               pin_memory=self.device.type == "cuda", **kw)

    def _forward(self, batch) -> torch.Tensor:
        """[members, N] predictions (µmol/kg, float32) of every node of ``batch``."""
        amp = self.cfg.precision == "bf16" and self.device.type == "cuda"
        with torch.inference_mode(), torch.autocast(self.device.type, torch.bfloat16, enabled=amp):
            return torch.stack([net(batch).float() for net in self.nets])

    def _finish_year(self, year: int, cells: list, preds: list, stats: YearStats) -> None:
        cells_a = np.concatenate(cells)
        p = np.concatenate(preds, axis=1)                      # [members, n_owned]
        n = self.grid.ncells
        counts = np.bincount(cells_a, minlength=n)
        if counts.max(initial=0) > 1:
            raise RuntimeError(f"year {year}: {int((counts > 1).sum())} cells written more than once")
        ocean = counts == 1
        if int(ocean.sum()) != self.owned[year]:
            raise RuntimeError(f"year {year}: {int(ocean.sum())} cells written, manifest owns {self.owned[year]}")
        if self._ocean is not None and not np.array_equal(ocean, self._ocean):
            raise RuntimeError(f"year {year}: ocean cells differ from this rank's other years")
        self._ocean = ocean
        if not np.isfinite(p).all():
            raise RuntimeError(f"year {year}: {int((~np.isfinite(p)).any(0).sum())} non-finite predictions")
        if len(p) > 1 and self.cfg.spread_scale != 1.0:       # calibrated spread: widen every member alike
            p = p.mean(0) + self.cfg.spread_scale * (p - p.mean(0))
        o2 = np.full(n, np.nan, np.float32)
        o2[cells_a] = p.mean(0) if len(p) > 1 else p[0]
        std = None
        if len(p) > 1:
            std = np.full(n, np.nan, np.float32)
            std[cells_a] = p.std(0)
        t0 = time.perf_counter()
        members = None
        if self.cfg.write_members:
            members = np.full((len(p), n), np.nan, np.float32)
            members[:, cells_a] = p
        writer.write_year(self.cfg.out, year, self.grid, o2, std, self.attrs(), self.run_key, self.cfg.complevel,
                          members=members)
        stats.write_s, stats.cells = time.perf_counter() - t0, int(ocean.sum())

    def run(self, on_year=None) -> list[YearStats]:
        """Predict and write this rank's unfinished years; ``on_year(stats)`` after each. Returns every year's stats.
        A bad checkpoint or partition (damaged, edited, not what the manifest says) is a :class:`PredictError`
        naming the file; the partitions of every year to do are verified before the first is written."""
        try:
            return self._run(on_year)
        except (PartitionError, BackgroundError) as e:
            raise PredictError(_one_line(e)) from None

    def _run(self, on_year) -> list[YearStats]:
        todo, done = self.todo()
        out = [YearStats(y, self.ranks.rank, skipped=True) for y in done]
        if not todo:
            return out
        if self.nets is None:
            self.nets = load_members(self.cfg.checkpoints, self.device, self.cfg.allowed_models)
            uses = {bool(getattr(n, "use_background", False)) for n in self.nets}
            if uses == {True} and self.cfg.background is None:
                raise PredictError("the checkpoints' models learn the anomaly from a background field: pass it "
                                   "(--background FILE, from `oxygen-hpc background`)")
            if uses != {True} and self.cfg.background is not None:
                raise PredictError(f"--background {self.cfg.background} given, but "
                                   f"{'some' if True in uses else 'none'} of the checkpoints' models use one: "
                                   "ensemble members must agree, and a model without one takes none")
        for y in todo:
            writer.clear_temporaries(self.cfg.out, y)
        ds, loader = self._loader(todo)
        throttle = float(os.environ.get("OXYGEN_HPC_PREDICT_PAUSE_S", "0") or 0)   # test hook: pace the years
        cur, cells, preds, st = None, [], [], None
        it = iter(loader)
        while True:
            t0 = time.perf_counter()
            batch = next(it, None)
            t1 = time.perf_counter()
            year = None if batch is None else int(batch.year[0])
            if year != cur and cur is not None:           # the previous year is complete: check and write it
                self._finish_year(cur, cells, preds, st)
                st.total_s = st.read_s + st.model_s + (time.perf_counter() - t1)
                out.append(st)
                if on_year:
                    on_year(st)
                if throttle and batch is not None:
                    time.sleep(throttle)
            if batch is None:
                break
            if year != cur:
                cur, cells, preds, st = year, [], [], YearStats(year, self.ranks.rank)
            st.read_s += t1 - t0
            batch = batch.to(self.device, non_blocking=True)
            p = self._forward(batch)
            owned = batch.owned
            cells.append(batch.cell[owned].cpu().numpy())
            preds.append(p[:, owned].cpu().numpy())
            st.nodes += int(batch.num_nodes)
            st.model_s += time.perf_counter() - t1
        ds.close()
        return out
