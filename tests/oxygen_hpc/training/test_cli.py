"""`oxygen-hpc fit` on bad input: an edited partition or a config naming a foreign network class stops the run
before any training with one line naming the file or class, exit status 2 (issue 16, items 1 and 7)."""
from __future__ import annotations

import shutil

import h5py

from .test_task import fit_cli

QUICK = ("--trainer.max_epochs=1", "--trainer.limit_train_batches=1", "--trainer.limit_val_batches=1",
         "--wandb.mode=disabled")


def test_fit_refuses_an_edited_partition_naming_it(train_parts, tmp_path):
    parts = tmp_path / "parts"
    shutil.copytree(train_parts, parts)
    with h5py.File(parts / "year=2003.h5", "r+") as f:
        f["zone=01/y"][0] = 1e6                          # one label edited: training would silently learn it
    r = fit_cli(parts, tmp_path / "run", *QUICK)
    assert r.returncode == 2, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("oxygen-hpc fit: ") and str(parts / "year=2003.h5") in last and "sha256" in last
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_fit_refuses_a_config_naming_a_foreign_network(train_parts, tmp_path):
    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.yaml"
    evil.write_text("model:\n  init_args:\n    model:\n      class_path: subprocess.Popen\n"
                    f"      init_args: {{args: 'touch {marker}', shell: true}}\n")
    r = fit_cli(train_parts, tmp_path / "run", *QUICK, f"--config={evil}")
    assert not marker.exists()
    assert r.returncode == 2, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("oxygen-hpc fit: model.class_path 'subprocess.Popen' is not a model of this project")
    assert "Traceback" not in r.stderr
