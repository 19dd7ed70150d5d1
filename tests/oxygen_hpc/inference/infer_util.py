"""Helpers of the inference tests (imported by conftest and the tests)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

REPO = Path(__file__).resolve().parents[3]
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
CONFIG = str(REPO / "configs/infer/tiny.yaml")
YEARS = (2000, 2005)


def save_checkpoint(parts: Path, path: Path, seed: int) -> Path:
    """An untrained OxyTask written as a Lightning checkpoint that ``OxyTask.load_from_checkpoint`` accepts."""
    from oxygen_hpc.training.task import OxyTask

    m = json.loads((parts / "manifest.json").read_text())
    dims = {"in_features": len(m["feature_names"]), "meta_features": len(m["meta_names"]),
            "edge_features": len(m["edge_feature_names"]), "n_zones": m["grid"]["zones_lon"] * m["grid"]["zones_lat"]}
    net = {"class_path": "oxygen_hpc.models.OxyGenerator",
           "init_args": {"hidden": 8, "layers": m["layers"], "rank": 2, "hyper_hidden": 8, "edge_hidden": 4}}
    torch.manual_seed(seed)
    task = OxyTask(model=net, dims=dims)
    torch.save({"state_dict": task.state_dict(), "hyper_parameters": dict(task.hparams),
                "pytorch-lightning_version": pl.__version__}, path)
    return path


def predict(*argv: str) -> int:
    """``oxygen-hpc predict`` in this process."""
    from oxygen_hpc.inference.cli import main

    return main(["--config", CONFIG, "--quiet", *map(str, argv)])


def data_bytes(path: Path) -> dict:
    """Raw bytes of every data variable of a NetCDF file (fill values included)."""
    import netCDF4

    with netCDF4.Dataset(path) as ds:
        ds.set_auto_maskandscale(False)
        return {k: ds[k][:].tobytes() for k in ds.variables}
