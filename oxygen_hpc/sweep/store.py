"""The sweep directory on disk: write a plan, read and update ``sweep.json``, record a task's status.

Layout of ``DIR``::

    sweep.json            spec, N, and per task: overrides, config path, run dir, argv (a list, never a string)
    configs/<i>.yaml      base config + overrides, trainer.default_root_dir = DIR/runs/<i>
    params/<i>.json       the task's overrides (for the ${args_json_file} macro)
    runs/<i>/             the run: metrics.json (written by the program), sweep_status.json (written by run-task)
    logs/%A_%a.out        Slurm output of each array task

Every value travels as data: YAML written by ``yaml.safe_dump``, JSON by ``json.dumps``; argv lists are read
back from ``sweep.json`` and passed to ``subprocess`` without a shell.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from oxygen_hpc.sweep.expand import SweepError

STATUS = "sweep_status.json"


def write(p: dict) -> Path:
    """Write a :func:`~oxygen_hpc.sweep.plan.plan` (configs, params, ``sweep.json``); returns the directory."""
    out = Path(p["sweep_dir"])
    for sub in ("configs", "params", "runs", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for task, cfg in zip(p["tasks"], p["_configs"]):
        Path(task["config"]).write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
        (out / "params" / f"{task['index']}.json").write_text(json.dumps(task["overrides"], indent=1))
    save(out, {k: v for k, v in p.items() if k != "_configs"})
    return out


def save(sweep_dir: Path, data: dict) -> None:
    tmp = Path(sweep_dir) / "sweep.json.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(Path(sweep_dir) / "sweep.json")


def load(sweep_dir: str | Path) -> dict:
    path = Path(sweep_dir) / "sweep.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{path} not found (not a sweep directory?)") from None


def write_status(run_dir: Path, **fields) -> None:
    """``run_dir/sweep_status.json``, replaced atomically."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (STATUS + ".tmp")
    tmp.write_text(json.dumps(fields, indent=1))
    tmp.replace(run_dir / STATUS)
