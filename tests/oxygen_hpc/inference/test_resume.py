"""Resumable: a run killed mid-way completes on the next run with identical data; finished years are skipped;
a partial file (temporary, truncated, or from other checkpoints) is never taken for a finished one."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import netCDF4

from oxygen_hpc.inference.writer import COMPLETE_ATTR

from .infer_util import CONFIG, EXE, YEARS, data_bytes, predict


def test_killed_run_resumes_to_identical_output_skipping_finished_years(infer_parts, ckpts, reference, tmp_path,
                                                                       capsys):
    out = tmp_path / "rec"
    env = {**os.environ, "OXYGEN_HPC_PREDICT_PAUSE_S": "4"}         # pace the years so the kill lands mid-run
    proc = subprocess.Popen([EXE, "predict", "--config", CONFIG, "--partitions", str(infer_parts), "--checkpoint",
                             str(ckpts[0]), "--out", str(out)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while not list(out.glob("o2_*.nc")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = sorted(out.glob("o2_*.nc"))
    assert len(first) == 1, proc.stderr.read()[-2000:]
    before = os.stat(first[0])
    # leftovers of a crash: a temporary of another year, and a truncated file under a final name
    years = list(range(YEARS[0], YEARS[1] + 1))
    other = [y for y in years if f"o2_{y}.nc" != first[0].name]
    (out / f".o2_{other[0]}.nc.12345.tmp").write_bytes(b"partial")
    (out / f"o2_{other[1]}.nc").write_bytes(first[0].read_bytes()[:2000])
    capsys.readouterr()
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[0], "--out", out) == 0
    assert "5 years written, 1 already finished (skipped)" in capsys.readouterr().out
    after = os.stat(first[0])
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)       # not rewritten
    assert sorted(p.name for p in out.iterdir()) == [f"o2_{y}.nc" for y in years]         # no temporaries left
    for y in years:
        assert data_bytes(out / f"o2_{y}.nc") == data_bytes(reference / f"o2_{y}.nc"), y
    # a run with nothing left to do skips every year
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[0], "--out", out) == 0
    assert "0 years written, 6 already finished (skipped)" in capsys.readouterr().out


def test_finished_file_of_other_checkpoints_is_recomputed(infer_parts, ckpts, reference, tmp_path, capsys):
    out = tmp_path / "rec"
    out.mkdir()
    (out / "o2_2003.nc").write_bytes((reference / "o2_2003.nc").read_bytes())
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[1], "--out", out, "--years", "2003") == 0
    assert "1 years written, 0 already finished" in capsys.readouterr().out
    assert data_bytes(out / "o2_2003.nc")["o2"] != data_bytes(reference / "o2_2003.nc")["o2"]
    with netCDF4.Dataset(out / "o2_2003.nc") as a, netCDF4.Dataset(reference / "o2_2003.nc") as b:
        assert getattr(a, COMPLETE_ATTR) != getattr(b, COMPLETE_ATTR)
