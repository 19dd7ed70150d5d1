"""Real sweeps on the dev Slurm cluster: one job array, report best first, hostile values stay data."""
from __future__ import annotations

import csv
import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from oxygen_hpc.sweep import cli

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]

PROGRAM = """import json, pathlib, sys, yaml
cfg = yaml.safe_load(open(sys.argv[sys.argv.index("--config") + 1]))
root = pathlib.Path(cfg["trainer"]["default_root_dir"]); root.mkdir(parents=True, exist_ok=True)
(root / "argv.json").write_text(json.dumps(sys.argv[1:]))
h = cfg["model"]["init_args"]["hidden"]
if h == 56:
    sys.exit("hidden=56 is not supported")   # a failing task
rmse = abs(h - 24) / cfg["trainer"]["max_epochs"] + 1.0 if isinstance(h, int) else 0.5
(root / "metrics.json").write_text(json.dumps({"val/rmse": rmse, "val/mae": rmse / 2}))
"""


def _wait(job_id: str, timeout: float = 200) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%i"], capture_output=True, text=True)
        if r.returncode == 0 and not r.stdout.strip():
            return
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still queued after {timeout} s")


def _job_id(out: Path) -> str:
    return json.loads((out / "sweep.json").read_text())["submissions"][-1]["job_id"]


def test_sweep_runs_as_one_job_array_and_reports_best_first(tmp_path, capsys):
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"model": {"init_args": {"hidden": 1}},
                                                        "trainer": {"max_epochs": 1}}))
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump({
        "name": "hidden-grid", "method": "grid", "program": "prog.py", "base_config": "base.yaml",
        "metric": {"name": "val/rmse", "goal": "minimize"},
        "parameters": {"model.init_args.hidden": {"values": [8, 16, 24, 40, 56]},
                       "trainer.max_epochs": {"value": 2}}}))
    out = tmp_path / "sw"
    assert cli.main([str(tmp_path / "spec.yaml"), "--dir", str(out), "--submit", "--parallel", "2"]) == 0
    job = _job_id(out)
    r = subprocess.run(["squeue", "-h", "-j", job, "-r", "-o", "%i"], capture_output=True, text=True)
    assert all(line.startswith(f"{job}_") for line in r.stdout.split()), r.stdout  # one array, its tasks
    _wait(job)
    capsys.readouterr()
    assert cli.main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = list(csv.DictReader(open(out / "report.csv")))
    assert [(r["run"], r["state"], r["model.init_args.hidden"]) for r in rows] == [
        ("2", "ok", "24"), ("1", "ok", "16"), ("0", "ok", "8"), ("3", "ok", "40"), ("4", "failed", "56")]
    assert [float(r["val/rmse"]) for r in rows[:4]] == [1.0, 5.0, 9.0, 9.0]
    assert "not ranked: run 4 failed" in printed
    logs = sorted((out / "logs").glob(f"{job}_*.out"))
    assert len(logs) == 5 and "hidden=56 is not supported" in (out / "logs" / f"{job}_4.out").read_text()


HOSTILE = ['"; touch {d}/PWNED_x #', "$(touch {d}/PWNED_y)", "`touch {d}/PWNED_z`",
           "line1\nline2; touch {d}/PWNED_n", "it's \"quoted\" ' ; touch {d}/PWNED_q", "--config=/etc/passwd",
           "${{HOME}} %j %A \\\\ & | > {d}/PWNED_r"]


def test_hostile_values_arrive_verbatim_through_a_real_array(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    values = [h.format(d=marks) for h in HOSTILE]
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"model": {"init_args": {"hidden": 1}},
                                                        "trainer": {"max_epochs": 1}}))
    spec = {"method": "grid", "program": str(tmp_path / "prog.py"), "base_config": str(tmp_path / "base.yaml"),
            "metric": {"name": "val/rmse", "goal": "minimize"},
            "command": ["${interpreter}", "${program}", "${args}", "${args_json}", "--config", "${config}"],
            "parameters": {"model.init_args.hidden": {"values": values}}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "sweep $(touch PWNED_dir) `x`"  # the sweep directory itself is hostile too
    assert cli.main([str(tmp_path / "spec.yaml"), "--dir", str(out), "--submit"]) == 0
    _wait(_job_id(out))
    for i, v in enumerate(values):
        cfg = yaml.safe_load((out / "configs" / f"{i}.yaml").read_text())
        assert cfg["model"]["init_args"]["hidden"] == v
        got = json.loads((out / "runs" / str(i) / "argv.json").read_text())
        assert got == [f"--model.init_args.hidden={v}", json.dumps({"model.init_args.hidden": v}),
                       "--config", str(out / "configs" / f"{i}.yaml")]
        assert json.loads((out / "runs" / str(i) / "metrics.json").read_text())["val/rmse"] == 0.5
    assert list(marks.iterdir()) == [] and not list(tmp_path.rglob("PWNED*"))
    assert not any(Path(p).exists() for p in ("PWNED_dir", "/tmp/PWNED_x", "/tmp/PWNED_y"))


WAITER = """import json, pathlib, signal, sys, time, yaml
cfg = yaml.safe_load(open(sys.argv[sys.argv.index("--config") + 1]))
root = pathlib.Path(cfg["trainer"]["default_root_dir"]); root.mkdir(parents=True, exist_ok=True)
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
(root / "ready").write_text("")
deadline = time.time() + 60
while not got and time.time() < deadline:
    time.sleep(0.05)
(root / "metrics.json").write_text(json.dumps({"val/rmse": 1.0, "sigusr1": len(got)}))
"""


def test_sigusr1_to_the_batch_step_reaches_the_program(tmp_path):
    """What Slurm's --signal=B:SIGUSR1@90 does before the time limit: Lightning in the program must see it."""
    (tmp_path / "prog.py").write_text(WAITER)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump({
        "method": "grid", "program": str(tmp_path / "prog.py"), "metric": {"name": "val/rmse"},
        "parameters": {"x": {"values": [1]}}}))
    out = tmp_path / "sw"
    assert cli.main([str(tmp_path / "spec.yaml"), "--dir", str(out), "--submit"]) == 0
    job = _job_id(out)
    deadline = time.monotonic() + 60
    while not (out / "runs" / "0" / "ready").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    subprocess.run(["scancel", "--batch", "--signal=USR1", f"{job}_0"], check=True)
    _wait(job, 90)
    assert json.loads((out / "runs" / "0" / "metrics.json").read_text())["sigusr1"] == 1
    assert json.loads((out / "runs" / "0" / "sweep_status.json").read_text())["state"] == "completed"
