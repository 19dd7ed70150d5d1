"""Training and inference throughput measured for ``benchmarks/gpu_check.py`` (CUDA, or the CPU in ``--cpu`` mode).

Training: the step exactly as ``oxygen-hpc fit`` runs it — a Lightning ``Trainer`` (precision plugin, gradient
clipping) calling ``OxyTask.training_step`` (masked MSE + the chemistry regulariser's double backward) and AdamW,
with the production model and hyper-parameters of ``configs/train/oxygenerator.yaml`` — on one synthetic zone-year
partition (``train_throughput.synthetic_partition``), whole or as ``fit_subgraph`` trains it. Timed from
``on_train_batch_start`` (the batch already on the device) to ``on_train_batch_end`` (after the optimiser step).

Inference: ``oxygen-hpc predict``'s ``Predictor`` on partitions built by ``infer_throughput.build`` (real coastlines,
WOA levels), model only and end to end (read + model + checks + NetCDF writing).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
CENTURY_CELLS = 1.5e8            # 1° x 33 WOA levels x 104 years of ocean cells (docs/scaling.md)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    from train_throughput import peak_rss_mb

    return peak_rss_mb()


def production_task_args(repo: Path) -> tuple[dict, dict]:
    """(OxyTask init_args, trainer settings) of the production config, composed as ``fit`` sees it."""
    from oxygen_contracts.compose import compose

    cfg = compose(repo / "configs" / "train" / "oxygenerator.yaml")
    return dict(cfg["model"]["init_args"]), dict(cfg["trainer"])


def train_rate(data, precision: str, device: torch.device, steps: int, warmup: int, repo: Path) -> dict:
    import pytorch_lightning as pl
    from torch_geometric.loader import DataLoader

    from oxygen_hpc.training.task import OxyTask

    class Timer(pl.Callback):
        def __init__(self):
            self.times: list[float] = []
            self.t0 = 0.0

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            _sync(device)
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            _sync(device)
            if batch_idx >= warmup:
                self.times.append(time.perf_counter() - self.t0)

    task_args, trainer_cfg = production_task_args(repo)
    dims = {"in_features": int(data.x.shape[1]), "meta_features": int(data.meta.shape[1]),
            "edge_features": int(data.edge_attr.shape[1]), "n_zones": 32, "use_obs_inputs": True}
    pl.seed_everything(0, verbose=False)
    task = OxyTask(**task_args, dims=dims)
    timer = Timer()
    trainer = pl.Trainer(accelerator="gpu" if device.type == "cuda" else "cpu", devices=1, precision=precision,
                         max_steps=warmup + steps, gradient_clip_val=trainer_cfg.get("gradient_clip_val"),
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0,
                         callbacks=[timer], default_root_dir=str(Path("/tmp") / "oxygen_gpu_check_trainer"))
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    trainer.fit(task, train_dataloaders=DataLoader([data] * (warmup + steps), batch_size=1))
    step = sorted(timer.times)[len(timer.times) // 2]
    labelled = int(torch.isfinite(data.y).sum())
    return {"precision": precision, "nodes": int(data.num_nodes), "edges": int(data.edge_index.shape[1]),
            "labelled": labelled, "step_s": step, "labelled_per_s": labelled / step,
            "nodes_per_s": data.num_nodes / step, "peak_mb": _peak_mb(device), "steps": len(timer.times)}


def train_rows(a: argparse.Namespace, device: torch.device, repo: Path) -> list[dict]:
    from train_throughput import labelled_subgraph, synthetic_partition

    # feature counts of the real partitions: 9 covariate features, 5 + 32 zone one-hot meta, 7 edge features
    whole = synthetic_partition(a.nodes, a.edges, 0.03, 9, 37, 7, seed=1000)
    sub = labelled_subgraph(whole, 2)
    rows = []
    for name, data in (("whole partition", whole), ("fit_subgraph", sub)):
        for precision in ("32-true", "bf16-mixed"):
            r = train_rate(data, precision, device, a.steps, a.warmup, repo)
            rows.append({"graph": name, **r})
            print(f"train {name:15s} {precision:10s} {r['labelled_per_s']:12,.0f} labelled nodes/s "
                  f"({r['nodes_per_s']:,.0f} nodes/s, step {r['step_s'] * 1e3:.1f} ms, peak {r['peak_mb']:,.0f} MB)",
                  flush=True)
    return rows


def infer_build(a: argparse.Namespace, work: Path) -> dict:
    """Partitions and an untrained production-size checkpoint (``infer_throughput.build``; reused when present)."""
    import infer_throughput as it

    t0 = time.perf_counter()
    root = work / f"infer_r{a.res:g}_l{a.levels}_y{a.years}"
    root.mkdir(parents=True, exist_ok=True)
    parts, ckpt = it.build(root, a.res, a.levels, a.years, a.rows)
    return {"root": root, "parts": parts, "ckpt": ckpt, "build_s": time.perf_counter() - t0}


def infer_rows(a: argparse.Namespace, device: torch.device, built: dict) -> dict:
    import infer_throughput as it

    from oxygen_hpc.inference.ranks import Ranks
    from oxygen_hpc.inference.runner import Predictor

    opts = argparse.Namespace(batch_nodes=None, device=device.type, threads=None if device.type == "cuda" else 1,
                              workers=a.workers, complevel=1)
    rows = []
    for precision in ("fp32", "bf16"):
        pred = Predictor(it.config(built["parts"], built["ckpt"], built["root"] / f"out_{precision}", opts, precision),
                         Ranks())
        mo = it.model_only(pred)
        _sync(device)
        t1 = time.perf_counter()
        stats = pred.run()
        wall = time.perf_counter() - t1
        cells = sum(s.cells for s in stats)
        rate = cells / wall
        rows.append({"precision": precision, "cells": cells, "years": len(stats), "wall_s": wall,
                     "cells_per_s": rate, "model_cells_per_s": mo["cells_per_s"],
                     "read_s": sum(s.read_s for s in stats), "model_s": sum(s.model_s for s in stats),
                     "write_s": sum(s.write_s for s in stats), "century_s": CENTURY_CELLS / rate})
        print(f"infer {precision}: {cells:,} cells in {wall:.2f} s = {rate:,.0f} cells/s end to end (model only "
              f"{mo['cells_per_s']:,.0f}); century {CENTURY_CELLS / rate:,.0f} s", flush=True)
    return {"grid": f"{a.res:g} deg x {a.levels} levels x {a.years} years", "build_s": built["build_s"],
            "rows": rows}
