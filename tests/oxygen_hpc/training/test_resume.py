"""A fit resumes only a checkpoint of its own run: same model+data config, strategy and world size (issue 16,
item 13). A DeepSpeed run must not pick up a DDP run's `last.ckpt` in a shared run directory."""
from __future__ import annotations

import json
import shutil

import pytest

from oxygen_hpc.training import resume

from .test_task import fit_cli

QUICK = ("--trainer.max_epochs=1", "--trainer.limit_train_batches=1", "--trainer.limit_val_batches=1",
         "--wandb.mode=disabled")


@pytest.fixture(scope="module")
def ddp_run(train_parts, tmp_path_factory):
    """A finished one-process DDP run with its record and last.ckpt."""
    root = tmp_path_factory.mktemp("shared") / "run"
    r = fit_cli(train_parts, root, *QUICK, "--trainer.strategy=ddp", "--trainer.devices=1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert (root / "checkpoints" / "last.ckpt").is_file()
    rec = json.loads((root / resume.RECORD).read_text())
    assert rec["strategy"] == "DDPStrategy" and rec["world_size"] == 1
    return root


def _refused(r, root, *words):
    assert r.returncode == 2, r.stderr[-3000:]
    assert "resuming from" not in r.stderr and "Traceback" not in r.stderr
    msg = r.stderr.strip().splitlines()[-1]
    assert str(root) in msg and "--ckpt_path" in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    return msg


def test_deepspeed_does_not_resume_a_ddp_runs_checkpoint(train_parts, ddp_run):
    before = (ddp_run / "checkpoints" / "last.ckpt").stat().st_mtime_ns
    r = fit_cli(train_parts, ddp_run, *QUICK, "--trainer.strategy=deepspeed_cpu", "--trainer.devices=1")
    _refused(r, ddp_run, "strategy", "DDPStrategy", "CPUDeepSpeedStrategy", "another run directory")
    assert (ddp_run / "checkpoints" / "last.ckpt").stat().st_mtime_ns == before


def test_another_model_config_does_not_resume(train_parts, ddp_run):
    r = fit_cli(train_parts, ddp_run, *QUICK, "--trainer.strategy=ddp", "--trainer.devices=1",
                "--model.init_args.lr=0.5")
    _refused(r, ddp_run, "model.init_args.lr")


def test_another_world_size_stops_saying_what_to_do(train_parts, ddp_run):
    r = fit_cli(train_parts, ddp_run, *QUICK, "--trainer.strategy=ddp", "--trainer.devices=2")
    _refused(r, ddp_run, "world size 1", "world size 2", "--trainer.num_nodes=1 --trainer.devices=1")


def test_the_same_run_resumes_and_a_deliberate_ckpt_path_is_honoured(train_parts, ddp_run, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(ddp_run, root)
    r = fit_cli(train_parts, root, "--trainer.max_epochs=2", *QUICK[1:], "--trainer.strategy=ddp",
                "--trainer.devices=1", "--data.init_args.num_workers=1")      # loader settings are not the run
    assert r.returncode == 0 and "resuming from" in r.stderr, r.stderr[-3000:]
    last = root / "checkpoints" / "last.ckpt"
    r = fit_cli(train_parts, root, "--trainer.max_epochs=3", *QUICK[1:], "--model.init_args.lr=0.5",
                f"--ckpt_path={last}")
    assert r.returncode == 0, r.stderr[-3000:]
    rec = json.loads((root / resume.RECORD).read_text())
    assert rec["config"]["model"]["init_args"]["lr"] == 0.5 and rec["strategy"] == "SingleDeviceStrategy"


def test_a_checkpoint_without_a_run_record_is_not_resumed(train_parts, ddp_run, tmp_path):
    root = tmp_path / "old"
    shutil.copytree(ddp_run, root)
    (root / resume.RECORD).unlink()                       # a run directory from before run records
    r = fit_cli(train_parts, root, *QUICK, "--trainer.strategy=ddp", "--trainer.devices=1")
    _refused(r, root, "no run record")


def test_identity_leaves_out_loader_settings_and_resolves_the_data_root(tmp_path):
    data = {"class_path": "D", "init_args": {"root": "p", "batch_size": 4, "num_workers": 0}}
    a = resume.identity({"class_path": "T"}, data, "DDPStrategy", 2, 1, base=tmp_path)
    b = resume.identity({"class_path": "T"}, {**data, "init_args": {**data["init_args"], "num_workers": 8}},
                        "DDPStrategy", 2, 1, base=tmp_path)
    assert a == b and a["config"]["data"]["init_args"]["root"] == str(tmp_path / "p")
    c = resume.identity({"class_path": "T"}, {**data, "init_args": {**data["init_args"], "batch_size": 8}},
                        "DDPStrategy", 2, 1, base=tmp_path)
    assert c["fingerprint"] != a["fingerprint"]
    assert resume.differences(a["config"], c["config"]) == ["data.init_args.batch_size: 4 here, 8 in the record"]


def test_a_deliberate_ckpt_path_takes_state_only_never_classes_or_settings(train_parts, ddp_run, tmp_path):
    """LightningCLI parses a --ckpt_path checkpoint's hyper-parameters over the config; a crafted one named the
    network (and its own allow-list) and so ran code. The config alone decides what is built."""
    import time

    import torch

    marker = tmp_path / "PWNED"
    ckpt = tmp_path / "crafted.ckpt"
    ck = torch.load(ddp_run / "checkpoints" / "last.ckpt", weights_only=True)
    ck["hyper_parameters"].update(allowed_models=["subprocess.Popen"], lr=0.123,
                                  model={"class_path": "subprocess.Popen",
                                         "init_args": {"args": f"touch {marker}", "shell": True}})
    torch.save(ck, ckpt)
    root = tmp_path / "run"
    r = fit_cli(train_parts, root, "--trainer.max_epochs=2", *QUICK[1:], f"--ckpt_path={ckpt}")
    time.sleep(0.5)
    assert not marker.exists()
    assert r.returncode == 0, r.stderr[-3000:]
    rec = json.loads((root / resume.RECORD).read_text())
    assert rec["config"]["model"]["init_args"]["lr"] != 0.123


def test_a_damaged_or_pickled_checkpoint_to_resume_is_one_line_naming_it(train_parts, ddp_run, tmp_path):
    import os

    import torch

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'PWNED'}",))

    cut, pickled = tmp_path / "cut.ckpt", tmp_path / "pickled.ckpt"
    cut.write_bytes((ddp_run / "checkpoints" / "last.ckpt").read_bytes()[:5000])
    torch.save({"state_dict": {}, "hyper_parameters": {}, "loops": Payload()}, pickled)
    for ckpt in (cut, pickled):
        r = fit_cli(train_parts, tmp_path / "run", *QUICK, f"--ckpt_path={ckpt}")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-3000:]
        assert str(ckpt) in r.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "PWNED").exists()
