"""Check a training job's layout before the ranks start, and fail in seconds with one line naming the mismatch.

A wrong layout otherwise shows up late and obscurely: more tasks per node than devices (or fewer GPUs than tasks)
hangs DDP at "Initializing distributed: GLOBAL_RANK ..." until the walltime; an unreadable config or data root
fails on every rank after minutes of queueing and imports. ``slurm/train.sh`` runs this first:

    python -m oxygen_hpc.training.layout --config CONFIG --run-dir RUN_DIR --accelerator gpu --devices 4

Every option defaults to the environment variable of the same name (CONFIG, RUN_DIR, ACCELERATOR, DEVICES) and the
Slurm variables (SLURM_NTASKS_PER_NODE, SLURM_GPUS_ON_NODE, CUDA_VISIBLE_DEVICES). Exit 0 and one "layout ok" line,
or exit 2 and one "layout error: ..." line per problem. Imports torch only when it must count GPUs.
"""
from __future__ import annotations

import argparse
import glob
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Mapping

from oxygen_contracts.compose import ComposeError, compose


class LayoutError(RuntimeError):
    """One or more layout problems; ``problems`` holds one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def tasks_per_node(env: Mapping[str, str]) -> int | None:
    """Tasks on this node from Slurm's variables; None outside a Slurm job."""
    if env.get("SLURM_NTASKS_PER_NODE"):
        return int(env["SLURM_NTASKS_PER_NODE"].split(",")[0].split("(")[0])
    if env.get("SLURM_TASKS_PER_NODE"):  # e.g. "4(x2)" or "2,1"
        return int(env["SLURM_TASKS_PER_NODE"].split(",")[0].split("(")[0])
    if env.get("SLURM_NTASKS") and env.get("SLURM_NNODES"):
        return int(env["SLURM_NTASKS"]) // max(1, int(env["SLURM_NNODES"]))
    return None


def visible_gpus(env: Mapping[str, str]) -> tuple[int, str]:
    """(number of GPUs this process can use, where that number came from)."""
    cvd = env.get("CUDA_VISIBLE_DEVICES")
    if cvd is not None:
        ids = [x for x in cvd.split(",") if x.strip() and x.strip() not in ("-1", "NoDevFiles")]
        return len(ids), f"CUDA_VISIBLE_DEVICES={cvd!r}"
    if not glob.glob("/dev/nvidia[0-9]*"):
        return 0, "no /dev/nvidia* devices"
    import torch

    return torch.cuda.device_count(), "torch.cuda.device_count()"


def _get(cfg: dict, dotted: str):
    node = cfg
    for p in dotted.split("."):
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def check_layout(config: str | None, *, run_dir: str | None = None, accelerator: str = "gpu",
                 devices: int | None = None, env: Mapping[str, str] | None = None) -> dict:
    """Return a summary of the layout if it is consistent, else raise :class:`LayoutError`."""
    env = os.environ if env is None else env
    problems: list[str] = []
    cfg: dict = {}
    if accelerator not in ("gpu", "cpu"):
        problems.append(f"ACCELERATOR must be gpu or cpu, got {accelerator!r}")
    if not config:
        problems.append("no config given (set CONFIG=path/to/train.yaml or --config)")
    else:
        try:
            cfg = compose(config)              # with the pieces it `extends`, as `oxygen-hpc fit` will see it
        except ComposeError as e:
            problems.append(f"config {e}")
    ntasks = tasks_per_node(env)
    if devices is None:
        dev = _get(cfg, "trainer.devices")
        devices = dev if isinstance(dev, int) and not isinstance(dev, bool) and dev > 0 else ntasks
    if ntasks is not None and devices is not None and ntasks != devices:
        problems.append(f"{ntasks} Slurm tasks per node but devices={devices} requested: Lightning needs "
                        f"--ntasks-per-node equal to the devices per node (else DDP hangs at 'Initializing "
                        "distributed')")
    gpus, source = (None, "")
    if accelerator == "gpu":
        gpus, source = visible_gpus(env)
        want = ntasks or devices or 1
        if gpus < want:
            problems.append(f"ACCELERATOR=gpu but {gpus} GPU(s) visible on {socket.gethostname()} ({source}) for "
                            f"{want} task(s) per node: request --gpus-per-node={want}, or set ACCELERATOR=cpu")
    root = _get(cfg, "data.init_args.root")
    if root is not None:
        p = Path(os.path.expandvars(str(root))).expanduser()
        if not p.exists():
            problems.append(f"data root {p} (config data.init_args.root) does not exist on {socket.gethostname()}")
        elif not os.access(p, os.R_OK | (os.X_OK if p.is_dir() else 0)):
            problems.append(f"data root {p} (config data.init_args.root) is not readable")
    if run_dir:
        try:
            Path(run_dir).mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=run_dir, prefix=".layout-check-"):
                pass
        except OSError as e:
            problems.append(f"run directory {run_dir} is not writable: {e.strerror}")
    if problems:
        raise LayoutError(problems)
    return {"nodes": env.get("SLURM_NNODES"), "tasks_per_node": ntasks, "devices": devices,
            "accelerator": accelerator, "gpus": gpus, "config": config, "data_root": root, "run_dir": run_dir}


def main(argv: list[str] | None = None) -> int:
    e = os.environ
    p = argparse.ArgumentParser(prog="python -m oxygen_hpc.training.layout", description=__doc__.split("\n")[0])
    p.add_argument("--config", default=e.get("CONFIG"))
    p.add_argument("--run-dir", default=e.get("RUN_DIR"))
    p.add_argument("--accelerator", default=e.get("ACCELERATOR", "gpu"))
    p.add_argument("--devices", type=int, default=int(e["DEVICES"]) if e.get("DEVICES", "").isdigit() else None)
    a = p.parse_args(argv)
    try:
        s = check_layout(a.config, run_dir=a.run_dir, accelerator=a.accelerator, devices=a.devices)
    except LayoutError as err:
        for line in err.problems:
            print(f"layout error: {line}", file=sys.stderr, flush=True)
        return 2
    print(f"layout ok: {s['nodes'] or 1} node(s) x {s['tasks_per_node'] or '?'} task(s), devices={s['devices']}, "
          f"accelerator={s['accelerator']}" + (f" ({s['gpus']} GPUs visible)" if s["gpus"] is not None else "")
          + f", config={s['config']}, run_dir={s['run_dir']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
