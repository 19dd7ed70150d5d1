"""predict on untrusted inputs: a crafted checkpoint cannot choose code to run, a damaged or edited partition is
refused; each exits 2 with one clear line naming the file (issue 16, items 1 and 7)."""
from __future__ import annotations

import json
import shutil
import time

import pytest
import pytorch_lightning as pl
import torch

from .infer_util import predict, save_checkpoint


def _crafted(parts, path, marker, class_path: str, init_args: dict) -> None:
    """A checkpoint as the fuzzing built it: valid weights_only content whose hyper-parameters name another class."""
    save_checkpoint(parts, path, 0)
    ck = torch.load(path, weights_only=True)
    ck["hyper_parameters"]["model"] = {"class_path": class_path, "init_args": init_args}
    torch.save(ck, path)


@pytest.mark.parametrize("class_path, init_args", [
    ("subprocess.Popen", {"args": "touch {marker}", "shell": True}),
    ("os.system", {"command": "touch {marker}"}),
])
def test_a_checkpoint_naming_a_foreign_class_runs_nothing(infer_parts, tmp_path, capsys, class_path, init_args):
    marker = tmp_path / "PWNED"
    ckpt = tmp_path / "evil model.ckpt"
    _crafted(infer_parts, ckpt, marker, class_path,
             {k: v.format(marker=marker) if isinstance(v, str) else v for k, v in init_args.items()})
    rc = predict("--partitions", infer_parts, "--checkpoint", ckpt, "--out", tmp_path / "rec")
    time.sleep(0.5)                                   # a shell started by Popen would have touched it by now
    err = capsys.readouterr().err
    assert not marker.exists()
    assert rc == 2
    assert str(ckpt) in err and class_path in err and "Traceback" not in err
    assert not list((tmp_path / "rec").glob("o2_*.nc")) if (tmp_path / "rec").exists() else True


def test_the_checkpoints_own_allow_list_is_not_trusted(infer_parts, tmp_path, capsys):
    marker = tmp_path / "PWNED"
    ckpt = tmp_path / "m.ckpt"
    _crafted(infer_parts, ckpt, marker, "subprocess.Popen", {"args": f"touch {marker}", "shell": True})
    ck = torch.load(ckpt, weights_only=True)
    ck["hyper_parameters"]["allowed_models"] = ["subprocess.Popen"]
    ck["hyper_parameters"]["_instantiator"] = "subprocess.Popen"
    torch.save(ck, ckpt)
    assert predict("--partitions", infer_parts, "--checkpoint", ckpt, "--out", tmp_path / "rec") == 2
    time.sleep(0.5)
    assert not marker.exists() and "subprocess.Popen" in capsys.readouterr().err


def test_a_pickle_payload_is_refused_naming_the_checkpoint(infer_parts, tmp_path, capsys):
    import os

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'PWNED'}",))

    ckpt = tmp_path / "p.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"x": Payload()}, "pytorch-lightning_version": pl.__version__},
               ckpt)
    assert predict("--partitions", infer_parts, "--checkpoint", ckpt, "--out", tmp_path / "rec") == 2
    err = capsys.readouterr().err
    assert not (tmp_path / "PWNED").exists() and str(ckpt) in err and "Traceback" not in err


@pytest.mark.parametrize("damage", ["not a checkpoint", "truncated", "no hyper-parameters"])
def test_a_damaged_checkpoint_exits_2_naming_it(infer_parts, ckpts, tmp_path, capsys, damage):
    ckpt = tmp_path / "c.ckpt"
    if damage == "not a checkpoint":
        ckpt.write_text("hello")
    elif damage == "truncated":
        ckpt.write_bytes(ckpts[0].read_bytes()[:3000])
    else:
        torch.save({"state_dict": {}}, ckpt)
    assert predict("--partitions", infer_parts, "--checkpoint", ckpt, "--out", tmp_path / "rec") == 2
    err = capsys.readouterr().err
    assert str(ckpt) in err and "Traceback" not in err


def _copy(parts, tmp_path):
    d = tmp_path / "parts"
    shutil.copytree(parts, d)
    return d


def test_an_edited_partition_is_refused_naming_the_file(infer_parts, ckpts, tmp_path, capsys):
    import h5py

    d = _copy(infer_parts, tmp_path)
    with h5py.File(d / "year=2002.h5", "r+") as f:
        f["zone=00/x"][0, 0] += 1.0               # one value edited; the file still reads as HDF5
    assert predict("--partitions", d, "--checkpoint", ckpts[0], "--out", tmp_path / "rec") == 2
    err = capsys.readouterr().err
    assert str(d / "year=2002.h5") in err and "sha256" in err and "Traceback" not in err
    assert not (tmp_path / "rec" / "o2_2002.nc").exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "deleted"])
def test_a_damaged_partition_exits_2_naming_the_file(infer_parts, ckpts, tmp_path, capsys, damage):
    d = _copy(infer_parts, tmp_path)
    f = d / "year=2004.h5"
    if damage == "truncated":
        f.write_bytes(f.read_bytes()[:5000])
    elif damage == "garbage":
        f.write_bytes(b"\0" * f.stat().st_size)
    else:
        f.unlink()
    assert predict("--partitions", d, "--checkpoint", ckpts[0], "--out", tmp_path / "rec") == 2
    err = capsys.readouterr().err
    assert str(f) in err and "Traceback" not in err


def test_a_manifest_that_lies_about_a_partition_exits_2(infer_parts, ckpts, tmp_path, capsys):
    d = _copy(infer_parts, tmp_path)
    m = json.loads((d / "manifest.json").read_text())
    m["partitions"][0]["n_nodes"] += 3                  # the files are genuine, the manifest is not
    (d / "manifest.json").write_text(json.dumps(m))
    assert predict("--partitions", d, "--checkpoint", ckpts[0], "--out", tmp_path / "rec") == 2
    err = capsys.readouterr().err
    assert "year=" in err and "zone=" in err and "Traceback" not in err


def test_a_deepspeed_checkpoint_folder_is_answered_with_the_conversion(infer_parts, tmp_path, capsys):
    ds = tmp_path / "last.ckpt"
    (ds / "checkpoint").mkdir(parents=True)                    # DeepSpeed's sharded layout: a folder
    assert predict("--partitions", infer_parts, "--checkpoint", ds, "--out", tmp_path / "rec") == 2
    err = capsys.readouterr().err
    assert "DeepSpeed checkpoint folder" in err and "convert_zero_checkpoint_to_fp32_state_dict" in err
    assert str(ds) in err and "Traceback" not in err
