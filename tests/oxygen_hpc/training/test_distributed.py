"""2-process DDP (gloo) and DeepSpeed ZeRO-2 on CPU through the real CLI: checkpoints, metrics, one W&B run."""
from __future__ import annotations

import json

from .test_task import fit_cli


def _one_wandb_run(root):
    rid = (root / "wandb_run_id").read_text().strip()
    return [p.name for p in root.rglob("run-*.wandb")] == [f"run-{rid}.wandb"]


def test_ddp_two_processes(train_parts, tmp_path):
    root = tmp_path / "ddp"
    r = fit_cli(train_parts, root, "--trainer.devices=2", "--trainer.strategy=ddp", "--trainer.max_epochs=1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert (root / "checkpoints" / "last.ckpt").is_file()
    assert json.loads((root / "metrics.json").read_text())["epoch"] == 1
    assert "world_size" not in r.stderr or "2" in r.stderr
    assert "MEMBER: 2/2" in r.stderr or "GLOBAL_RANK: 1" in r.stderr
    assert _one_wandb_run(root)


def test_deepspeed_zero2_on_cpu(train_parts, tmp_path):
    root = tmp_path / "ds"
    r = fit_cli(train_parts, root, "--trainer.devices=2", "--trainer.strategy=deepspeed_cpu", "--trainer.max_epochs=1")
    assert r.returncode == 0, r.stderr[-3000:]
    ckpt = root / "checkpoints" / "last.ckpt"
    assert ckpt.is_dir() and (ckpt / "checkpoint").is_dir()          # DeepSpeed's sharded checkpoint layout
    shards = sorted(p.name for p in (ckpt / "checkpoint").glob("*optim_states.pt"))
    assert len(shards) == 2 and all(n.startswith("zero_pp_rank_") for n in shards)   # optimizer state partitioned
    import torch

    states = torch.load(next((ckpt / "checkpoint").glob("mp_rank_00_model_states.pt")), weights_only=False)
    assert states["ds_config"]["zero_optimization"]["stage"] == 2
    assert _one_wandb_run(root)
