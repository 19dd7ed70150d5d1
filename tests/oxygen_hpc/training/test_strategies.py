"""DeepSpeed with bf16: the model's weights are bf16, so a PyG batch's float inputs must be too (Lightning's own cast
does not enter a ``Batch``); without that the first step failed with "mat1 and mat2 must have the same dtype"."""
from __future__ import annotations

import torch
from torch_geometric.data import Batch, Data

from oxygen_hpc.training.strategies import GraphDeepSpeedStrategy, cast_graph_batch, register

from .test_task import fit_cli


def test_cast_graph_batch_casts_float_inputs_but_not_targets_or_indices():
    d = Data(x=torch.randn(3, 2), y=torch.randn(3), y_std=torch.rand(3), edge_index=torch.tensor([[0, 1], [1, 2]]),
             owned=torch.ones(3, dtype=torch.bool), series_mask=torch.ones(3, 11))
    b = cast_graph_batch(Batch.from_data_list([d, d]), torch.bfloat16)
    assert b.x.dtype == b.series_mask.dtype == torch.bfloat16
    assert b.y.dtype == b.y_std.dtype == torch.float32
    assert b.edge_index.dtype == b.batch.dtype == torch.long and b.owned.dtype == torch.bool
    plain = {"x": torch.randn(2)}
    assert cast_graph_batch(plain, torch.bfloat16) is plain                 # not a graph: Lightning's business
    assert cast_graph_batch(b, torch.float32) is b


def test_lightning_deepspeed_names_build_the_graph_strategy():
    from pytorch_lightning.strategies import StrategyRegistry

    register()
    for name in ("deepspeed", "deepspeed_stage_2", "deepspeed_stage_3_offload"):
        assert StrategyRegistry[name]["strategy"] is GraphDeepSpeedStrategy, name
    assert StrategyRegistry["deepspeed_stage_2"]["init_params"] == {"stage": 2}


def test_deepspeed_bf16_fit_through_the_cli(train_parts, tmp_path):
    root = tmp_path / "ds_bf16"
    r = fit_cli(train_parts, root, "--trainer.devices=1", "--trainer.strategy=deepspeed_cpu",
                "--trainer.precision=bf16-mixed", "--trainer.max_epochs=1")
    assert r.returncode == 0, r.stderr[-3000:]
    states = torch.load(root / "checkpoints" / "last.ckpt" / "checkpoint" / "mp_rank_00_model_states.pt",
                        map_location="cpu", weights_only=False)
    assert states["ds_config"]["bf16"]["enabled"]
    assert all(v.dtype == torch.bfloat16 for v in states["module"].values() if v.is_floating_point())
