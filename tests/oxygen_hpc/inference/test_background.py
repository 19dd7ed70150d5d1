"""predict with a model that learns the anomaly: the background is required, used as the offset, and refused for
models without one."""
from __future__ import annotations

import netCDF4
import numpy as np
import pytorch_lightning as pl
import torch

from oxygen_hpc.background.build import build_background

from .infer_util import predict


def _anomaly_checkpoint(parts, path):
    """An OxyGenerator with use_background whose anomaly head is zero: its prediction is the background itself."""
    import json

    from oxygen_hpc.training.task import OxyTask

    m = json.loads((parts / "manifest.json").read_text())
    dims = {"in_features": len(m["feature_names"]) + 1, "meta_features": len(m["meta_names"]),
            "edge_features": len(m["edge_feature_names"]), "n_zones": 4, "use_background": True}
    task = OxyTask(model={"class_path": "oxygen_hpc.models.OxyGenerator",
                          "init_args": {"hidden": 8, "layers": m["layers"], "rank": 2, "hyper_hidden": 8}}, dims=dims)
    with torch.no_grad():
        task.net.head.weight.zero_(), task.net.head.bias.zero_()
    torch.save({"state_dict": task.state_dict(), "hyper_parameters": dict(task.hparams),
                "pytorch-lightning_version": pl.__version__}, path)
    return path


def test_background_model_predicts_through_its_field(infer_parts, ckpts, tmp_path, capsys):
    bg = tmp_path / "bg.h5"
    build_background(infer_parts, bg, None, None, max_iter=10, log=lambda *_: None)
    ck = _anomaly_checkpoint(infer_parts, tmp_path / "anom.ckpt")
    assert predict("--partitions", infer_parts, "--checkpoint", ck, "--out", tmp_path / "no") == 2
    assert "--background" in capsys.readouterr().err
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[0], "--background", bg,
                   "--out", tmp_path / "wrong") == 2
    assert "none of the checkpoints' models use one" in capsys.readouterr().err
    out = tmp_path / "rec"
    assert predict("--partitions", infer_parts, "--checkpoint", ck, "--background", bg, "--out", out) == 0
    import h5py

    with netCDF4.Dataset(out / "o2_2000.nc") as ds:
        o2 = np.asarray(ds["o2"][:], np.float64).reshape(-1)       # (time=1, depth, lat, lon): flat = cell id
    with h5py.File(bg, "r") as h, h5py.File(infer_parts / "year=2000.h5", "r") as p:
        for z in sorted(h["year=2000"]):
            owned = p[z]["owned"][()].astype(bool)
            cells, want = p[z]["cell"][()][owned], h[f"year=2000/{z}"][-1][owned]
            np.testing.assert_allclose(o2[cells], want, rtol=1e-5)  # the zero anomaly: o2 = the background
