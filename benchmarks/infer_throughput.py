"""Inference throughput of `oxygen-hpc predict`: ocean cells/s per process, model alone and with writing.

Builds (once, in ``--dir``, reused on later runs) a partition set at ``--res`` degrees x ``--levels`` WOA levels x
``--years`` years (real coastlines, synthetic bathymetry: ``benchmarks/partition.py``'s inputs) and an untrained
OxyGenerator checkpoint of the production size (hidden 64, 2 layers, low-rank α), then measures on this machine:

1. model only: packed batches of whole partitions (``--batch-nodes``) already in memory, forward under
   ``torch.inference_mode``: owned cells/s and nodes/s (halos included);
2. the runner end to end in this process (read + mask + collate + model + checks + NetCDF), and the NetCDF
   writing alone;
3. on CPU, the same with ``mpiexec -n 2`` (1 thread per rank): cells/s of the whole and per rank.

On CUDA (``torch.cuda.is_available()``) steps 1-2 run on the GPU, fp32 and bf16, and step 3 is skipped.

    .venv/bin/python benchmarks/infer_throughput.py --res 2 --years 2          # CPU: 2° x 33 levels x 2 years
    .venv/bin/python benchmarks/infer_throughput.py --res 1 --years 2 --batch-nodes 2000000 --workers 8   # GPU
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # idle OpenMP threads sleep (shared machines)

import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
NET = {"class_path": "oxygen_hpc.models.OxyGenerator",
       "init_args": {"hidden": 64, "layers": 2, "affine": "lowrank", "rank": 4, "hyper_hidden": 32, "edge_hidden": 16}}


def build(root: Path, res: float, levels: int, years: int, rows: int) -> tuple[Path, Path]:
    """Partitions and a checkpoint under ``root`` (reused when present)."""
    parts, ckpt = root / "parts", root / "model.ckpt"
    if not (parts / "manifest.json").exists():
        sys.path.insert(0, str(HERE))
        from partition import make_inputs, ocean_mask

        from oxygen_contracts.grid import WOA_LEVELS, GridSpec
        from preprocessing.partition.config import PartitionConfig
        from preprocessing.partition.pipeline import run

        grid = GridSpec(resolution_deg=res, depth_levels=tuple(float(d) for d in WOA_LEVELS[:levels]),
                        year_start=2000, year_end=2000 + years - 1)
        t0 = time.perf_counter()
        cov, store = make_inputs(root, grid, ocean_mask(grid), rows)
        run(PartitionConfig(covariates=str(cov), out=str(parts), batch_rows=250_000), str(store),
            workers=min(os.cpu_count() or 1, years, 8), progress=False)
        print(f"built partitions in {time.perf_counter() - t0:.0f} s -> {parts}")
    if not ckpt.exists():
        import pytorch_lightning as pl

        from oxygen_hpc.data.datamodule import PartitionDataModule
        from oxygen_hpc.training.task import OxyTask

        torch.manual_seed(0)
        task = OxyTask(model=NET, dims=PartitionDataModule(str(parts)).dims)
        torch.save({"state_dict": task.state_dict(), "hyper_parameters": dict(task.hparams),
                    "pytorch-lightning_version": pl.__version__}, ckpt)
    return parts, ckpt


def config(parts, ckpt, out, a, precision="fp32"):
    from oxygen_hpc.inference.config import InferConfig

    return InferConfig(partitions=str(parts), checkpoints=[str(ckpt)], out=str(out), batch_nodes=a.batch_nodes,
                       device=a.device, precision=precision, threads=a.threads, num_workers=a.workers,
                       complevel=a.complevel, resume=False)


def model_only(pred, reps: int = 2) -> dict:
    """Forward passes over one year's packed batches, held in memory."""
    from oxygen_hpc.inference.runner import load_members

    pred.nets = pred.nets or load_members(pred.cfg.checkpoints, pred.device)
    ds, loader = pred._loader(pred.years[:1])
    batches = [b.to(pred.device) for b in loader]
    ds.close()
    owned = sum(int(b.owned.sum()) for b in batches)
    nodes = sum(int(b.num_nodes) for b in batches)
    pred._forward(batches[0])                                   # warm-up (kernels, allocator)
    sync = torch.cuda.synchronize if pred.device.type == "cuda" else (lambda: None)
    sync()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        for b in batches:
            pred._forward(b)
    sync()
    dt, cpu = (time.perf_counter() - t0) / reps, (time.process_time() - c0) / reps
    return {"cells_per_s": owned / dt, "cells_per_cpu_s": owned / cpu, "nodes_per_s": nodes / dt, "batches": len(batches), "cells": owned}


def end_to_end(pred) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    stats = pred.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    cells = sum(s.cells for s in stats)
    tot = {k: sum(getattr(s, k) for s in stats) for k in ("read_s", "model_s", "write_s")}
    return {"wall_s": wall, "cells": cells, "cells_per_s": cells / wall, "cells_per_cpu_s": cells / cpu, **tot,
            "write_cells_per_s": cells / max(tot["write_s"], 1e-9)}


def child(a) -> int:
    """One rank of the MPI measurement (run under mpiexec)."""
    from oxygen_hpc.inference.ranks import detect
    from oxygen_hpc.inference.runner import Predictor, load_members

    torch.set_num_threads(a.threads or 1)
    ranks = detect()
    pred = Predictor(config(a.parts, a.ckpt, a.out, a), ranks)
    pred.nets = load_members(pred.cfg.checkpoints, pred.device)
    ranks.barrier()
    r = end_to_end(pred)
    ranks.barrier()
    rows = ranks.gather({**r, "rank": ranks.rank, "years": pred.mine})
    if ranks.rank == 0:
        print("CHILD " + json.dumps(rows))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", type=float, default=2.0)
    ap.add_argument("--levels", type=int, default=33)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--rows", type=int, default=20_000, help="observation rows per year")
    ap.add_argument("--dir", default="/tmp/oxygen_infer_bench", help="work dir (partitions reused across runs)")
    ap.add_argument("--batch-nodes", type=int, default=None, help="default: by device (runner)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: 1 on CPU)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader reader processes")
    ap.add_argument("--complevel", type=int, default=1)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--no-mpi", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--parts", help=argparse.SUPPRESS)
    ap.add_argument("--ckpt", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return child(a)
    from oxygen_hpc.inference.ranks import Ranks
    from oxygen_hpc.inference.runner import Predictor

    root = Path(a.dir) / f"r{a.res:g}_l{a.levels}_y{a.years}"
    root.mkdir(parents=True, exist_ok=True)
    parts, ckpt = build(root, a.res, a.levels, a.years, a.rows)
    cuda = torch.cuda.is_available() and a.device != "cpu"
    a.threads = a.threads or (torch.get_num_threads() if cuda else 1)
    torch.set_num_threads(a.threads)
    m = json.loads((parts / "manifest.json").read_text())
    print(f"device: {torch.cuda.get_device_name(0) if cuda else 'cpu'}; torch {torch.__version__}; "
          f"{a.threads} thread(s); grid {a.res}° x {a.levels} levels x {a.years} years: "
          f"{m['totals']['owned']:,} ocean cells, {m['totals']['nodes']:,} nodes, {m['totals']['partitions']} partitions")
    for prec in (("fp32", "bf16") if cuda else ("fp32",)):
        pred = Predictor(config(parts, ckpt, root / f"out_{prec}", a, prec), Ranks())
        mo = model_only(pred)
        print(f"[1 process, {pred.device}, {prec}] model only: {mo['cells_per_s']:,.0f} cells/s wall, "
              f"{mo['cells_per_cpu_s']:,.0f} per CPU-second "
              f"({mo['nodes_per_s']:,.0f} nodes/s incl. halos; {mo['batches']} batches of <= {pred.batch_nodes:,} nodes)")
        e = end_to_end(pred)
        print(f"[1 process, {pred.device}, {prec}] end to end: {e['cells']:,} cells in {e['wall_s']:.2f} s = "
              f"{e['cells_per_s']:,.0f} cells/s wall, {e['cells_per_cpu_s']:,.0f} per CPU-second (read {e['read_s']:.2f} s, model {e['model_s']:.2f} s, "
              f"write {e['write_s']:.2f} s); writing alone {e['write_cells_per_s']:,.0f} cells/s")
    if not cuda and not a.no_mpi:
        mpiexec = str(Path(sys.executable).with_name("mpiexec"))
        cmd = [mpiexec, "-n", "2", sys.executable, __file__, "--child", "--parts", str(parts), "--ckpt", str(ckpt),
               "--out", str(root / "out_mpi"), "--threads", "1",
               "--complevel", str(a.complevel), "--device", "cpu"]
        cmd += ["--batch-nodes", str(a.batch_nodes)] if a.batch_nodes else []
        r = subprocess.run(cmd, capture_output=True, text=True)
        line = [x for x in r.stdout.splitlines() if x.startswith("CHILD ")]
        if r.returncode or not line:
            print(f"mpiexec run failed ({r.returncode}): {r.stderr[-2000:]}")
            return 1
        rows = json.loads(line[0][6:])
        wall = max(x["wall_s"] for x in rows)
        cells = sum(x["cells"] for x in rows)
        per = ", ".join(f"rank {x['rank']} {x['years']} {x['cells_per_s']:,.0f} wall / {x['cells_per_cpu_s']:,.0f} per CPU-s"
                        for x in rows)
        print(f"[mpiexec -n 2, cpu, 1 thread/rank] end to end: {cells:,} cells in {wall:.2f} s = "
              f"{cells / wall:,.0f} cells/s total, {cells / wall / 2:,.0f} per process ({per} cells/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
