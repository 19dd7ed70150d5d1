"""On one GPU (marked gpu: `make gpu-check`): fit through the CLI with DDP bf16 and DeepSpeed ZeRO-2 bf16, a
DeepSpeed checkpoint loaded for predict, and a deterministic mid-epoch resume that ends with the same weights."""
from __future__ import annotations

import json

import pytest
import pytorch_lightning as pl
import torch

from oxygen_hpc.data.datamodule import PartitionDataModule
from oxygen_hpc.training import OxyTask

from .test_task import EXE, NET, REPO, StopAt, fit_cli

pytestmark = [pytest.mark.gpu, pytest.mark.timeout(300)]
GPU_BF16 = ["--trainer.accelerator=gpu", "--trainer.devices=1", "--trainer.precision=bf16-mixed"]


def _finite_weights(state: dict) -> bool:
    return all(bool(torch.isfinite(v.float()).all()) for v in state.values() if v.is_floating_point())


def test_fit_cli_ddp_bf16_on_gpu(train_parts, tmp_path):
    root = tmp_path / "ddp"
    r = fit_cli(train_parts, root, *GPU_BF16, "--trainer.strategy=ddp")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "GPU available: True (cuda), used: True" in r.stderr
    ckpt = torch.load(root / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert _finite_weights(ckpt["state_dict"])
    assert json.loads((root / "metrics.json").read_text())["epoch"] == 2


def test_fit_cli_deepspeed_zero2_bf16_then_predict_from_its_checkpoint(train_parts, tmp_path):
    import subprocess

    from pytorch_lightning.utilities.deepspeed import convert_zero_checkpoint_to_fp32_state_dict

    root = tmp_path / "ds"
    r = fit_cli(train_parts, root, *GPU_BF16, "--trainer.strategy=deepspeed_stage_2")
    assert r.returncode == 0, r.stderr[-3000:]
    ckpt = root / "checkpoints" / "last.ckpt"
    assert ckpt.is_dir() and list((ckpt / "checkpoint").glob("*optim_states.pt"))   # DeepSpeed's sharded layout
    model = tmp_path / "ds_model.ckpt"                                   # docs/cluster.md: predict from DeepSpeed
    convert_zero_checkpoint_to_fp32_state_dict(str(ckpt), str(model))
    task = OxyTask.load_from_checkpoint(model, map_location="cpu")
    assert _finite_weights(task.state_dict()) and next(task.net.parameters()).dtype == torch.float32
    out = tmp_path / "pred"
    p = subprocess.run([EXE, "predict", "--config", str(REPO / "configs/infer/tiny.yaml"), "--partitions",
                        str(train_parts), "--checkpoint", str(model), "--out", str(out), "--device", "cuda",
                        "--precision", "bf16"], capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    assert len(list(out.glob("o2_*.nc"))) == 6


def _train(parts, root, precision, ckpt=None, callbacks=(), epochs=2):
    pl.seed_everything(0)
    dm = PartitionDataModule(str(parts), batch_size=3, num_workers=0, obs_input_fraction=0.5, seed=0)
    task = OxyTask(model=NET, lam=0.1, lr=0.01)
    trainer = pl.Trainer(accelerator="gpu", devices=1, precision=precision, max_epochs=epochs, logger=False,
                         enable_progress_bar=False, enable_checkpointing=False, default_root_dir=root,
                         enable_model_summary=False, callbacks=list(callbacks), deterministic=True)
    trainer.fit(task, dm, ckpt_path=ckpt)
    return task, trainer


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_resume_mid_epoch_on_gpu_ends_with_the_same_weights(train_parts, tmp_path, precision):
    """Deterministic kernels (trainer.deterministic: the segment-sum aggregate, deterministic scatter/index_add,
    cuBLAS workspace) make two runs equal bit for bit, so a preempted + resumed run must match exactly."""
    full, t_full = _train(train_parts, tmp_path / "a", precision)
    stop = t_full.num_training_batches + t_full.num_training_batches // 2      # the middle of the second epoch
    _train(train_parts, tmp_path / "b", precision, callbacks=[StopAt(stop, tmp_path / "mid.ckpt")])
    resumed, t_res = _train(train_parts, tmp_path / "c", precision, ckpt=str(tmp_path / "mid.ckpt"))
    assert t_res.global_step == t_full.global_step
    for (n, a), (_, b) in zip(full.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a.cpu(), b.cpu()), n
