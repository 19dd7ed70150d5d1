"""Only the project's own networks, or classes the user allows in their own config, are ever built: from a config
and from a checkpoint (whose hyper-parameters, allow-list included, are untrusted). Issue 16, item 1."""
from __future__ import annotations

import time

import pytest
import pytorch_lightning as pl
import torch

from oxygen_hpc.training import OxyTask

NET = {"class_path": "oxygen_hpc.models.OxyGenerator",
       "init_args": {"hidden": 8, "layers": 2, "rank": 2, "hyper_hidden": 8, "edge_hidden": 4}}
DIMS = {"in_features": 9, "meta_features": 8, "edge_features": 7, "n_zones": 4}


class TinyNet(torch.nn.Module):
    """A user's own network (allowed by naming it)."""

    def __init__(self, in_features: int = 1, width: int = 3):
        super().__init__()
        self.lin = torch.nn.Linear(in_features, width)

    def forward(self, batch):
        return self.lin(batch.x).sum(-1)


MINE = f"{__name__}.TinyNet"


def _save(task, path, **hp):
    torch.save({"state_dict": task.state_dict(), "hyper_parameters": {**dict(task.hparams), **hp},
                "pytorch-lightning_version": pl.__version__}, path)
    return path


def _evil(tmp_path, marker) -> dict:
    return {"class_path": "subprocess.Popen", "init_args": {"args": f"touch {marker}", "shell": True}}


def test_a_config_naming_a_foreign_class_is_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "PWNED"
    with pytest.raises(ValueError, match="'subprocess.Popen' is not a model of this project") as e:
        OxyTask(model=_evil(tmp_path, marker), dims=DIMS)
    time.sleep(0.3)
    assert not marker.exists() and "allowed_models" in str(e.value)


def test_the_projects_models_need_no_allow_list_under_either_name():
    assert type(OxyTask(model=NET, dims=DIMS).net).__name__ == "OxyGenerator"
    full = {**NET, "class_path": "oxygen_hpc.models.oxygenerator.OxyGenerator"}
    assert type(OxyTask(model=full, dims=DIMS).net).__name__ == "OxyGenerator"


def test_a_users_class_is_built_when_their_config_allows_it():
    with pytest.raises(ValueError, match="not a model of this project"):
        OxyTask(model={"class_path": MINE}, dims=DIMS)
    task = OxyTask(model={"class_path": MINE, "init_args": {"width": 5}}, dims=DIMS, allowed_models=[MINE])
    assert isinstance(task.net, TinyNet) and "allowed_models" not in task.hparams    # never saved in checkpoints
    with pytest.raises(ValueError, match="not a torch.nn.Module"):
        OxyTask(model={"class_path": "collections.OrderedDict"}, dims=DIMS, allowed_models=["collections.OrderedDict"])


def test_load_from_checkpoint_refuses_a_foreign_class_naming_checkpoint_and_class(tmp_path):
    marker = tmp_path / "PWNED"
    path = _save(OxyTask(model=NET, dims=DIMS), tmp_path / "evil.ckpt", model=_evil(tmp_path, marker),
                 allowed_models=["subprocess.Popen"])        # the checkpoint's own allow-list is not the user's
    with pytest.raises(ValueError) as e:
        OxyTask.load_from_checkpoint(path)
    time.sleep(0.3)
    assert not marker.exists()
    assert str(path) in str(e.value) and "subprocess.Popen" in str(e.value)


def test_load_from_checkpoint_round_trip_and_a_users_class_on_request(tmp_path):
    task = OxyTask(model=NET, dims=DIMS)
    back = OxyTask.load_from_checkpoint(_save(task, tmp_path / "ok.ckpt"))
    assert all(torch.equal(a, b) for a, b in zip(task.state_dict().values(), back.state_dict().values()))
    mine = OxyTask(model={"class_path": MINE}, dims=DIMS, allowed_models=[MINE])
    path = _save(mine, tmp_path / "mine.ckpt")
    with pytest.raises(ValueError, match=f"{MINE}' is not a model of this project"):
        OxyTask.load_from_checkpoint(path)
    assert isinstance(OxyTask.load_from_checkpoint(path, allowed_models=[MINE]).net, TinyNet)


def test_lightnings_instantiator_key_in_a_checkpoint_is_ignored(tmp_path):
    path = _save(OxyTask(model=NET, dims=DIMS), tmp_path / "i.ckpt", _instantiator="subprocess.Popen",
                 _class_path="subprocess.Popen")
    assert type(OxyTask.load_from_checkpoint(path).net).__name__ == "OxyGenerator"


def test_a_background_models_dims_round_trip_and_absurd_dims_are_refused(tmp_path):
    """The dims of a model on a background carry switches and the anomaly's scale (a float): they load; a
    non-finite or negative scale, or a string, is refused naming the file."""
    from oxygen_hpc.training.checkpoint import CheckpointError

    dims = {**DIMS, "in_features": 10, "use_obs_inputs": True, "use_background": True, "target_std": 20.0}
    path = _save(OxyTask(model=NET, dims=dims), tmp_path / "bg.ckpt")
    task = OxyTask.load_from_checkpoint(path)
    assert task.hparams.dims["target_std"] == 20.0 and task.net.use_background
    for bad in (float("nan"), -1.0, "20"):
        p = _save(OxyTask(model=NET, dims=dims), tmp_path / "bad.ckpt", dims={**dims, "target_std": bad})
        with pytest.raises(CheckpointError, match="bad.ckpt"):
            OxyTask.load_from_checkpoint(p)
