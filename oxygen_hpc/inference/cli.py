"""`oxygen-hpc predict`: every ocean cell of every year, one CF-1.8 NetCDF per year (``o2_YYYY.nc``).

  oxygen-hpc predict --config configs/infer/demo.yaml [--partitions DIR] [--checkpoint CKPT ...] [--out DIR]
                     [--years A:B] [--batch-nodes N] [--device cpu|cuda|auto] [--precision fp32|bf16]
                     [--threads N] [--no-resume] [--write-members]
  mpiexec -n 4 oxygen-hpc predict ...         srun --mpi=pmi2 oxygen-hpc predict ...   (slurm/infer.sh)

Several checkpoints make an ensemble (``o2`` = mean, ``o2_std`` = spread; ``--write-members``: every member's
field as ``o2_member`` too). Ranks split the years; finished years are skipped when run again. Exit status 2 on
a bad config (one line naming the key) or a bad input: a checkpoint that is damaged or names a network outside
``oxygen_hpc.models`` and ``allowed_models`` (nothing it names is built), a partition that is missing, damaged or
edited since ``partition`` wrote it (one line naming the file).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from oxygen_contracts.config import ConfigError, resolve_path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oxygen-hpc predict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="inference YAML (oxygen_hpc.inference.config.InferConfig)")
    p.add_argument("--partitions", help="partitions folder (manifest.json + year=YYYY.h5)")
    p.add_argument("--checkpoint", dest="checkpoints", nargs="+", action="extend", metavar="CKPT",
                   help="checkpoint(s); several = ensemble (mean and o2_std)")
    p.add_argument("--out", help="output folder of o2_YYYY.nc")
    p.add_argument("--years", help="A:B inclusive (or one year A)")
    p.add_argument("--batch-nodes", dest="batch_nodes", type=int, help="nodes per forward pass")
    p.add_argument("--device", help="cpu | cuda | auto")
    p.add_argument("--precision", help="fp32 | bf16 (GPU)")
    p.add_argument("--threads", type=int, help="torch threads per rank")
    p.add_argument("--num-workers", dest="num_workers", type=int, help="partition reader processes per rank")
    p.add_argument("--no-resume", action="store_true", help="recompute finished years")
    p.add_argument("--allow-model", dest="allowed_models", nargs="+", action="extend", metavar="CLASS_PATH",
                   help="a network class outside oxygen_hpc.models the checkpoints may name (added to the config's "
                        "allowed_models)")
    p.add_argument("--background", help="background field of models that learn the anomaly (oxygen-hpc background)")
    p.add_argument("--spread-scale", dest="spread_scale", type=_spread_scale,
                   help="a number, or the JSON written by `oxygen-hpc calibrate`: the ensemble spread's factor")
    p.add_argument("--write-members", dest="write_members", action=argparse.BooleanOptionalAction, default=None,
                   help="also write every member's field as o2_member (config write_members)")
    p.add_argument("--quiet", action="store_true", help="no line per year")
    return p


def _spread_scale(text: str) -> float:
    """``--spread-scale``: a number, or a calibration JSON (``oxygen-hpc calibrate``) holding ``spread_scale``."""
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text.strip()):
        return float(text)
    try:
        return float(json.loads(Path(text).read_text())["spread_scale"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise argparse.ArgumentTypeError(f"{text}: neither a number nor a calibration file ({e})") from None


def _config(a: argparse.Namespace):
    from oxygen_hpc.inference.config import load_config, parse_years

    keys = ("partitions", "checkpoints", "out", "batch_nodes", "device", "precision", "threads", "num_workers",
            "background", "write_members", "spread_scale")
    over = {k: getattr(a, k) for k in keys if getattr(a, k) is not None}
    if a.years is not None:
        over["years"] = parse_years(a.years)
    if a.no_resume:
        over["resume"] = False
    cfg = load_config(a.config, over)
    cfg.allowed_models = [*cfg.allowed_models, *(a.allowed_models or [])]
    if a.partitions is None:
        cfg.partitions = resolve_path(cfg.partitions, a.config)
    if a.checkpoints is None:
        cfg.checkpoints = [resolve_path(c, a.config) for c in cfg.checkpoints]
    if cfg.partitions is None:
        raise ConfigError("partitions", "no partitions given (set it in the config or pass --partitions)", a.config)
    return cfg


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        cfg = _config(a)
    except ConfigError as e:
        print(f"oxygen-hpc predict: {e}", file=sys.stderr)
        return 2
    from oxygen_hpc.inference.ranks import detect

    ranks = detect()
    try:
        return _run(cfg, ranks, a.quiet)
    except BaseException as e:
        if ranks.comm is not None and ranks.size > 1 and not isinstance(e, SystemExit):
            print(f"oxygen-hpc predict: rank {ranks.rank}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            ranks.comm.Abort(2 if e.__class__.__name__ == "PredictError" else 1)
        raise


def _run(cfg, ranks, quiet: bool) -> int:
    import torch

    from oxygen_hpc.inference.runner import PredictError, Predictor

    t0 = time.perf_counter()
    threads = cfg.threads
    if threads is None:
        import os

        threads = max(1, len(os.sched_getaffinity(0)) // max(ranks.local_size, 1))
    torch.set_num_threads(threads)
    try:
        pred = Predictor(cfg, ranks)
    except PredictError as e:
        print(f"oxygen-hpc predict: {e}", file=sys.stderr)
        if ranks.comm is not None and ranks.size > 1:
            ranks.comm.Abort(2)
        return 2
    if ranks.rank == 0:
        print(f"predict: {len(pred.years)} years, {ranks.size} rank(s) ({ranks.source}), device {pred.device}, "
              f"{threads} thread(s)/rank, ensemble of {len(cfg.checkpoints)}", flush=True)

    def line(s):
        if not quiet:
            rate = s.cells / max(s.total_s, 1e-9)
            print(f"[rank {s.rank}] {s.year}: {s.cells:,} cells ({s.nodes:,} nodes) in {s.total_s:.2f} s "
                  f"(read {s.read_s:.2f}, model {s.model_s:.2f}, write {s.write_s:.2f}) {rate:,.0f} cells/s",
                  flush=True)

    try:
        stats = pred.run(on_year=line)
    except PredictError as e:
        print(f"oxygen-hpc predict: {e}", file=sys.stderr)
        if ranks.comm is not None and ranks.size > 1:
            ranks.comm.Abort(2)
        return 2
    every = ranks.gather([s.__dict__ for s in stats])
    if ranks.rank == 0:
        rows = [s for r in every for s in r]
        done = [s for s in rows if not s["skipped"]]
        cells = sum(s["cells"] for s in done)
        wall = time.perf_counter() - t0
        skipped = len(rows) - len(done)
        if ranks.comm is None and ranks.size > 1:
            print(f"rank 0 of {ranks.size} (no MPI communicator): figures are this rank's only")
        print(f"predict: {len(done)} years written, {skipped} already finished (skipped); {cells:,} cells in "
              f"{wall:.1f} s ({cells / max(wall, 1e-9):,.0f} cells/s wall incl. start-up) -> {cfg.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
