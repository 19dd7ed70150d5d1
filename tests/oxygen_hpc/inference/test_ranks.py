"""Ranks: years split so that each year has exactly one writer; `mpiexec -n 2` writes what one process writes."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from oxygen_hpc.inference.ranks import MPI_ENV, assign_years, detect

from .infer_util import CONFIG, EXE, data_bytes


def test_assign_years_gives_every_year_to_exactly_one_rank_balanced_by_size():
    sizes = {1920 + i: (1000 if i % 7 == 0 else 100 + i) for i in range(104)}
    for world in (1, 2, 3, 8, 200):
        a = assign_years(sizes, world)
        years = [y for r in range(world) for y in a[r]]
        assert sorted(years) == sorted(sizes) and len(years) == len(set(years))
        loads = [sum(sizes[y] for y in a[r]) for r in range(world)]
        assert max(loads) - min(loads) <= max(sizes.values())
    assert assign_years(sizes, 4) == assign_years(dict(reversed(sizes.items())), 4)     # same on every rank


def test_detect_reads_slurm_env_without_mpi(monkeypatch):
    for k in MPI_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.delenv("SLURM_PROCID", raising=False)
    assert (detect().rank, detect().size, detect().source) == (0, 1, "single")
    monkeypatch.setenv("SLURM_PROCID", "3")
    monkeypatch.setenv("SLURM_NTASKS", "4")
    monkeypatch.setenv("SLURM_NTASKS_PER_NODE", "2(x2)")
    r = detect()
    assert (r.rank, r.size, r.source, r.comm, r.local_size) == (3, 4, "slurm", None, 2)


@pytest.mark.mpi
def test_mpiexec_two_ranks_write_the_same_bytes_as_one_process(infer_parts, ckpts, reference, tmp_path):
    out = tmp_path / "mpi"
    mpiexec = str(Path(EXE).with_name("mpiexec"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "SLURM_", "OMPI_"))}
    r = subprocess.run([mpiexec, "-n", "2", EXE, "predict", "--config", CONFIG, "--partitions", str(infer_parts),
                        "--checkpoint", str(ckpts[0]), "--out", str(out)], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "2 rank(s) (mpi)" in r.stdout
    writers = re.findall(r"\[rank (\d)\] (\d{4}):", r.stdout)
    assert {w for w, _ in writers} == {"0", "1"}                       # both ranks worked
    years = [y for _, y in writers]
    assert len(years) == len(set(years)) == 6                           # each year written once
    ref = sorted(p.name for p in reference.glob("*.nc"))
    assert sorted(p.name for p in out.glob("*.nc")) == ref
    assert not list(out.glob(".*tmp"))
    for name in ref:
        assert data_bytes(out / name) == data_bytes(reference / name), name
