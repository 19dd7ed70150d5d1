"""`oxygen-hpc sweep report` and `run-task` without Slurm: ranking by goal, every non-ok run listed."""
from __future__ import annotations

import csv
import json
import sys

import yaml

from oxygen_hpc.sweep import cli

PROGRAM = """import argparse, json, pathlib, sys, yaml
a = argparse.ArgumentParser(); a.add_argument("--config"); args, rest = a.parse_known_args()
cfg = yaml.safe_load(open(args.config))
root = pathlib.Path(cfg["trainer"]["default_root_dir"]); root.mkdir(parents=True, exist_ok=True)
(root / "argv.json").write_text(json.dumps(sys.argv[1:]))
h = cfg["model"]["init_args"]["hidden"]
if h == "crash":
    sys.exit(3)
if h == "silent":
    sys.exit(0)
(root / "metrics.json").write_text(json.dumps({"val/r2": 1.0 / (1 + abs(h - 24)), "val/mae": float(h)}))
"""


def _sweep(tmp_path, values, metric_goal="maximize"):
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"model": {"init_args": {"hidden": 1}}}))
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump({
        "method": "grid", "program": str(tmp_path / "prog.py"), "base_config": str(tmp_path / "base.yaml"),
        "metric": {"name": "val/r2", "goal": metric_goal},
        "parameters": {"model.init_args.hidden": {"values": values}}}))
    out = tmp_path / "sw"
    assert cli.main([str(tmp_path / "spec.yaml"), "--dir", str(out)]) == 0
    return out


def test_report_ranks_by_goal_and_lists_failed_and_missing(tmp_path, capsys):
    out = _sweep(tmp_path, [8, 24, "crash", 30, "silent", 12, 99])
    for i in range(6):  # run 6 never runs: missing
        rc = cli.main(["run-task", str(out), str(i)])
        assert rc == (3 if i == 2 else 0)
    capsys.readouterr()
    assert cli.main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = list(csv.DictReader(open(out / "report.csv")))
    assert [(r["run"], r["state"]) for r in rows] == [
        ("1", "ok"), ("3", "ok"), ("5", "ok"), ("0", "ok"), ("2", "failed"), ("4", "no-metrics"), ("6", "missing")]
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "-", "-", "-"]
    assert rows[0]["model.init_args.hidden"] == "24" and float(rows[0]["val/r2"]) == 1.0
    assert rows[4]["note"] == "exit code 3"
    assert "not ranked: run 2 failed, run 4 no-metrics, run 6 missing" in printed
    md = (out / "report.md").read_text()
    assert "- run 2: failed (exit code 3)" in md and "- run 6: missing" in md


def test_minimize_orders_smallest_first_and_running_is_shown(tmp_path, capsys):
    out = _sweep(tmp_path, [30, 8, 24], metric_goal="minimize")
    for i in range(3):
        assert cli.main(["run-task", str(out), str(i)]) == 0
    status = out / "runs" / "2" / "sweep_status.json"
    status.write_text(json.dumps({**json.loads(status.read_text()), "state": "running"}))
    assert cli.main(["report", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "report.csv")))
    assert [(r["run"], r["state"]) for r in rows] == [("1", "ok"), ("0", "ok"), ("2", "running")]


def test_run_task_records_missing_program(tmp_path):
    out = _sweep(tmp_path, [8])
    data = json.loads((out / "sweep.json").read_text())
    data["tasks"][0]["argv"] = [str(tmp_path / "does-not-exist")]
    (out / "sweep.json").write_text(json.dumps(data))
    assert cli.main(["run-task", str(out), "0"]) == 127
    st = json.loads((out / "runs" / "0" / "sweep_status.json").read_text())
    assert st["state"] == "failed" and "does-not-exist" in st["error"]
    assert cli.main(["run-task", str(out), "5"]) == 2  # out of range: one-line error


def test_program_gets_interpreter_and_full_config(tmp_path):
    out = _sweep(tmp_path, [16])
    argv = json.loads((out / "sweep.json").read_text())["tasks"][0]["argv"]
    assert argv == [sys.executable, str(tmp_path / "prog.py"), "--config", str(out / "configs" / "0.yaml")]
