"""Register a sweep with Weights & Biases (``--wandb``): one W&B sweep, each array task one agent run."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from oxygen_hpc.sweep.plan import resolve_path


def use_wandb(data: dict, sweep_fn: Callable | None = None) -> dict:
    """Create the W&B sweep (``wandb.sweep``) and make every array task run one ``wandb agent --count 1``."""
    spec = data["spec"]
    wb = {k: v for k, v in spec.items() if k not in ("base_config", "seed", "sbatch")}
    if "command" not in spec:
        base = ["--config", data["base_config"]] if data["base_config"] else []
        wb["command"] = (["${env}", "${interpreter}", "${program}"] if "program" in spec else ["oxygen-hpc", "fit"]) \
            + base + ["${args}"]
    if "program" in spec:
        wb["program"] = str(resolve_path(spec["program"], Path(data["spec_file"]).parent))
    if sweep_fn is None:
        import wandb

        sweep_fn = wandb.sweep
    entity = spec.get("entity") or os.environ.get("WANDB_ENTITY")
    project = spec.get("project") or os.environ.get("WANDB_PROJECT") or "oxygen-hpc"
    sweep_id = sweep_fn(sweep=wb, entity=entity, project=project)
    path = "/".join(x for x in (entity, project, sweep_id) if x)
    for t in data["tasks"]:
        t["argv"] = ["wandb", "agent", "--count", "1", path]
    data.update(mode="wandb", wandb={"sweep_id": sweep_id, "path": path, "config": wb})
    return data
