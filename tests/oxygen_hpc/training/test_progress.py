"""Fit progress a person reads: lines every N steps without a terminal (Slurm, `make demo`), a bar on one; the
demo's own fit config prints it; W&B gets the per-zone error table and the validation map."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl

from oxygen_hpc.data.datamodule import PartitionDataModule
from oxygen_hpc.training import OxyTask
from oxygen_hpc.training.progress import FitProgress

REPO = Path(__file__).resolve().parents[3]
EXE = str(Path(sys.executable).with_name("oxygen-hpc"))
NET = {"class_path": "oxygen_hpc.models.OxyGenerator",
       "init_args": {"hidden": 8, "layers": 2, "rank": 2, "hyper_hidden": 8, "edge_hidden": 4}}
LINE = re.compile(r"^fit: step (\d+)/(\d+) \(\d+%\) epoch \d+(/\d+)? \| loss \d\S* \| \S+ step/s \| elapsed "
                  r"\d+:\d\d:\d\d \| ETA \d+:\d\d:\d\d$")


class TTY(io.StringIO):
    def isatty(self):
        return True


def _fit(parts, root, progress, max_steps=7):
    pl.seed_everything(0)
    dm = PartitionDataModule(str(parts), batch_size=4, num_workers=0)
    trainer = pl.Trainer(accelerator="cpu", max_steps=max_steps, logger=False, enable_checkpointing=False,
                         default_root_dir=root, enable_model_summary=False, callbacks=[progress],
                         num_sanity_val_steps=0, val_check_interval=3, check_val_every_n_epoch=None)
    trainer.fit(OxyTask(model=NET), dm)
    return trainer


def test_lines_every_n_steps_with_loss_and_eta_and_validation(train_parts, tmp_path):
    out = io.StringIO()
    p = FitProgress(every_n_steps=2)
    p.stream = out
    trainer = _fit(train_parts, tmp_path, p)
    assert trainer.progress_bar_callback is not None and not trainer.progress_bar_callback.is_enabled
    lines = out.getvalue().splitlines()
    steps = [int(m.group(1)) for m in map(LINE.match, lines) if m]
    assert steps == [2, 4, 6, 7], lines                      # every 2 steps, and the last one
    assert all(m.group(2) == "7" for m in map(LINE.match, lines) if m)
    assert lines[0].startswith("fit: 7 optimiser steps") and "run directory" in lines[0]
    assert any(re.match(r"fit: validation at step 3 \(epoch 1\): .*val/rmse \d", x) for x in lines), lines
    assert lines[-1].startswith("fit: finished 7 steps")
    assert "\r" not in out.getvalue()


def test_a_terminal_gets_one_bar(train_parts, tmp_path):
    out = TTY()
    p = FitProgress(every_n_steps=2)
    p.stream = out
    assert p.resolved_mode() == "bar"
    _fit(train_parts, tmp_path, p, max_steps=4)
    text = out.getvalue()
    assert "\r" in text and re.search(r"fit: +100%\|.*\| 4/4 \[", text) and "loss=" in text
    assert not LINE.search(text.replace("\r", "\n"))


def test_bad_arguments():
    with pytest.raises(ValueError, match="every_n_steps"):
        FitProgress(every_n_steps=0)
    with pytest.raises(ValueError, match="mode"):
        FitProgress(mode="loud")


def test_demo_config_fit_prints_progress_and_logs_zone_table_and_map(train_parts, tmp_path):
    """configs/train/demo.yaml as `make demo` runs it (a subprocess, no TTY, Lightning's bar off in the config),
    on the small partitions; W&B offline as in the demo."""
    root = tmp_path / "run"
    cmd = [EXE, "fit", "--config", str(REPO / "configs/train/demo.yaml"), f"--data.init_args.root={train_parts}",
           f"--trainer.default_root_dir={root}", "--trainer.max_epochs=2", "--data.init_args.eval_years=null",
           "--data.init_args.num_workers=0", "--data.init_args.persistent_workers=false"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=400, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stderr.splitlines()
    assert any(x.startswith("fit: ") and "optimiser steps" in x for x in lines), r.stderr[-2000:]
    last = [m for m in map(LINE.match, lines) if m][-1]
    assert last.group(1) == last.group(2)                     # the last step is always reported
    assert any(x.startswith("fit: validation at step") for x in lines)
    files = next(root.rglob("offline-run-*")) / "files"
    tables = list(files.rglob("zone_errors_*.table.json"))
    maps = list(files.rglob("map_*.png"))
    assert tables and maps, sorted(str(p.relative_to(files)) for p in files.rglob("*"))
    t = json.loads(tables[-1].read_text())
    assert t["columns"] == ["zone", "lon_min", "lon_max", "lat_min", "lat_max", "n_targets", "mae", "rmse", "bias"]
    assert t["data"] and all(row[5] > 0 and row[7] >= row[6] >= 0 for row in t["data"])
