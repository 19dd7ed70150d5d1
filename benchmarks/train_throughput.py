"""Training-step throughput of OxyGenerator on one synthetic zone-year partition (CPU, 1 process and DDP).

``--subgraph`` trains on the labelled nodes' k-hop in-neighbourhood only, as ``fit_subgraph`` does.

A partition the size of one zone-year at 1° × 33 levels (default 45,000 nodes, 300,000 edges, ~3 % labelled
nodes) runs full training steps: full-graph forward, MSE on the labelled nodes, the chemistry regulariser's
double back-propagation (∂ŷ/∂nutrients with create_graph=True, then backward through it) and an Adam step.
Prints labelled nodes/s, total nodes/s and peak RSS, for one process and for DDP (gloo, spawn), each rank
running its own partition with ``threads / procs`` threads, and the speed-up.

    .venv/bin/python benchmarks/train_throughput.py                 # 1 process, then 2 DDP processes
    .venv/bin/python benchmarks/train_throughput.py --procs 1 --steps 5 --affine full
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import resource
import socket
import sys
import tempfile
import time

# Idle OpenMP threads sleep instead of spinning: on a shared, loaded machine spinning intra-op threads made a
# 2-thread step 40x slower than a 1-thread one. Must be set before torch initialises OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch_geometric.data import Data  # noqa: E402

from oxygen_hpc.models.oxygenerator import OxyGenerator  # noqa: E402
from oxygen_hpc.training.losses import redfield_slope, regularised_loss  # noqa: E402

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # mallopt parameters (glibc malloc.h)
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def synthetic_partition(nodes: int, edges: int, labelled: float, features: int, meta: int, edge_features: int,
                        seed: int) -> Data:
    """A grid-like graph: 33 levels of a square lat-lon patch, horizontal + vertical edges, then random
    'hub' edges from labelled nodes up to ``edges``; DO a smooth function of the features."""
    g = torch.Generator().manual_seed(seed)
    levels = 33
    side = max(2, int(round((nodes / levels) ** 0.5)))
    n = nodes
    idx = torch.arange(n)
    k, rem = idx // (side * side), idx % (side * side)
    j, i = rem // side, rem % side
    src, dst = [], []
    for di, dj, dk in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
        ii, jj, kk = i + di, j + dj, k + dk
        ok = (ii >= 0) & (ii < side) & (jj >= 0) & (jj < side) & (kk >= 0)
        nb = (kk * side + jj) * side + ii
        ok &= nb < n
        src.append(nb[ok])
        dst.append(idx[ok])
    src_t, dst_t = torch.cat(src), torch.cat(dst)
    y_mask = torch.rand(n, generator=g) < labelled
    extra = edges - src_t.numel()
    if extra > 0:
        lab = idx[y_mask]
        src_t = torch.cat([src_t, lab[torch.randint(0, lab.numel(), (extra,), generator=g)]])
        dst_t = torch.cat([dst_t, torch.randint(0, n, (extra,), generator=g)])
    edge_index = torch.stack([src_t, dst_t])[:, :edges]
    x = torch.randn(n, features, generator=g)
    y = 170 + 60 * torch.tanh(x[:, 0]) - 30 * x[:, 1] * (k.float() / levels)
    nut_mask = (y_mask & (torch.rand(n, generator=g) < 0.5)).float().unsqueeze(-1).expand(n, 2).contiguous()
    series_mask = (torch.rand(n, 11, generator=g) < labelled).float()  # each other year observed like this one
    series_mask[:, 5] = 0
    series = ((y - 170) / 80).unsqueeze(-1) * series_mask
    return Data(
        x=x, meta=torch.randn(n, meta, generator=g), series=series, series_mask=series_mask,
        nutrients=-((y - 170) / 80).unsqueeze(-1).expand(n, 2) * nut_mask, nutrients_mask=nut_mask,
        obs=torch.zeros(n), obs_mask=torch.zeros(n), y=torch.where(y_mask, y, torch.full_like(y, float("nan"))),
        owned=torch.ones(n, dtype=torch.bool), edge_index=edge_index,
        edge_attr=torch.randn(edge_index.shape[1], edge_features, generator=g), cell=idx,
        zone=torch.tensor([0]), year=torch.tensor([2000]))


def labelled_subgraph(data: Data, hops: int) -> Data:
    """What ``fit_subgraph`` trains on: the labelled nodes' ``hops``-hop in-neighbourhood (oxygen_hpc.data.subgraph)."""
    from oxygen_hpc.data.subgraph import khop_in_subgraph

    nodes, edges, ei = khop_in_subgraph(data.edge_index.numpy(), data.num_nodes, torch.isfinite(data.y).numpy(), hops)
    nodes_t, edges_t = torch.from_numpy(nodes), torch.from_numpy(edges)
    out = Data(edge_index=torch.from_numpy(ei).long(), edge_attr=data.edge_attr[edges_t],
               zone=data.zone, year=data.year)
    for key in ("x", "meta", "series", "series_mask", "nutrients", "nutrients_mask", "obs", "obs_mask", "y", "owned",
                "cell"):
        out[key] = data[key][nodes_t]
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM: unlike ru_maxrss it is not inherited across spawn)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def set_mmap_threshold(mb: float) -> bool:
    """glibc: serve allocations >= ``mb`` MiB by mmap and give them back on free (fixed threshold; glibc's
    default raises it dynamically up to 32 MiB, so freed tensors stay resident and fragment the heap)."""
    if mb <= 0:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    size = int(mb * 1024 * 1024)
    return bool(libc.mallopt(M_MMAP_THRESHOLD, size)) and bool(libc.mallopt(M_TRIM_THRESHOLD, size))


def run_steps(rank: int, world: int, args: argparse.Namespace, result: dict) -> None:
    set_mmap_threshold(args.mmap_threshold_mb)
    torch.set_num_threads(max(1, args.threads // world))
    torch.manual_seed(0)
    if world > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ["MASTER_PORT"] = str(args.port)
        dist.init_process_group("gloo", rank=rank, world_size=world, timeout=datetime.timedelta(minutes=5))
    data = synthetic_partition(args.nodes, args.edges, args.labelled, 10, 8, 5, seed=1000 + rank)
    if args.subgraph:
        data = labelled_subgraph(data, args.layers)
    model = OxyGenerator(10, 8, 5, hidden=args.hidden, layers=args.layers, affine=args.affine, rank=args.rank,
                         temporal=not args.no_temporal, checkpoint=args.checkpoint)
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
        model.target_std = model.module.target_std
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    anchor = redfield_slope(0.8, 80.0)
    rss_setup = peak_rss_mb()
    labelled = int(torch.isfinite(data.y).sum())
    times, cpu = [], []
    for step in range(args.warmup + args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss, parts = regularised_loss(model, data, lam=args.lam, redfield_anchor=anchor)
        loss.backward()
        opt.step()
        if world > 1:
            dist.barrier()
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    step_s = sorted(times)[len(times) // 2]
    out = {"step_s": step_s, "cpu_s": sorted(cpu)[len(cpu) // 2], "labelled": labelled, "nodes": data.num_nodes,
           "rss_mb": peak_rss_mb(),
           "rss_setup_mb": rss_setup, "loss": float(loss.detach())}
    if world > 1:
        gathered = [None] * world
        dist.all_gather_object(gathered, out)
        dist.destroy_process_group()
        if rank == 0:
            result.update({"ranks": gathered})
    else:
        result.update({"ranks": [out]})


def _spawned(rank: int, world: int, args: argparse.Namespace, result_path: str) -> None:
    result: dict = {}
    run_steps(rank, world, args, result)
    if rank == 0:
        with open(result_path, "w") as f:
            json.dump(result, f)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(world: int, result: dict, threads: int) -> float:
    ranks = result["ranks"]
    step_s = max(r["step_s"] for r in ranks)
    labelled = sum(r["labelled"] for r in ranks)
    nodes = sum(r["nodes"] for r in ranks)
    print(f"[{world} process{'es' if world > 1 else ''}, {max(1, threads // world)} thread(s) each] "
          f"median step {step_s:.3f} s (CPU {max(r['cpu_s'] for r in ranks):.2f} s) | labelled nodes/s "
          f"{labelled / step_s:,.0f} | total nodes/s "
          f"{nodes / step_s:,.0f} | peak RSS per process {max(r['rss_mb'] for r in ranks):,.0f} MB "
          f"(after setup {max(r['rss_setup_mb'] for r in ranks):,.0f} MB) | loss {ranks[0]['loss']:.3f}", flush=True)
    return labelled / step_s


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=45_000)
    p.add_argument("--edges", type=int, default=300_000)
    p.add_argument("--labelled", type=float, default=0.03)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--rank", type=int, default=4)
    p.add_argument("--affine", default="lowrank", choices=["lowrank", "full", "diag"])
    p.add_argument("--no-temporal", action="store_true")
    p.add_argument("--lam", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--port", type=int, default=0, help="rendezvous port (0 = a free one)")
    p.add_argument("--checkpoint", action="store_true", help="activation checkpointing of each layer")
    p.add_argument("--subgraph", action="store_true",
                   help="train on the labelled nodes' k-hop in-neighbourhood (the DataModule's fit_subgraph)")
    p.add_argument("--mmap-threshold-mb", type=float, default=0.0,
                   help="glibc mmap threshold (0 = default); e.g. 4 lowers peak RSS at some CPU cost")
    p.add_argument("--jemalloc", nargs="?", const=JEMALLOC, default=None, metavar="PATH",
                   help=f"run under jemalloc (LD_PRELOAD, re-executing this script; default {JEMALLOC}, Debian "
                   "package libjemalloc2); DDP ranks inherit it")
    args = p.parse_args(argv)
    if args.jemalloc and args.jemalloc not in os.environ.get("LD_PRELOAD", ""):
        if not os.path.exists(args.jemalloc):
            raise SystemExit(f"--jemalloc: {args.jemalloc} not found (apt-get install libjemalloc2)")
        env = dict(os.environ, LD_PRELOAD=":".join(filter(None, [args.jemalloc, os.environ.get("LD_PRELOAD")])))
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *(sys.argv[1:] if argv is None
                                                                               else argv)], env)
    print(f"partition: {args.nodes:,} nodes, {args.edges:,} edges, {args.labelled:.0%} labelled | OxyGenerator "
          f"hidden={args.hidden} layers={args.layers} affine={args.affine} rank={args.rank} "
          f"temporal={not args.no_temporal} checkpoint={args.checkpoint} subgraph={args.subgraph} | lambda={args.lam} | {args.threads} threads "
          f"| mmap threshold {args.mmap_threshold_mb or 'default'} MB | allocator "
          f"{'jemalloc' if 'jemalloc' in os.environ.get('LD_PRELOAD', '') else 'glibc'}")
    rates = {}
    for world in args.procs:
        if world == 1:
            result: dict = {}
            run_steps(0, 1, args, result)
        else:
            if not args.port:
                args.port = free_port()
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "result.json")
                mp.spawn(_spawned, args=(world, args, path), nprocs=world, join=True)
                with open(path) as f:
                    result = json.load(f)
        rates[world] = report(world, result, args.threads)
    if 1 in rates:
        for world, rate in rates.items():
            if world > 1:
                print(f"DDP speed-up with {world} processes: {rate / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
