"""The data stages across the two dev nodes: `slurm/preprocess.sh` with a dask-jobqueue worker job on each node
writes the same bytes as one local worker; `slurm/infer.sh` with one MPI rank per node (srun --mpi=pmi2) writes the
same NetCDF as one process (every byte of data and metadata but the write time in `history`)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.oxygen_hpc.inference.infer_util import predict, save_checkpoint

from .jobs import ROOT, log, sbatch, wait_end

pytestmark = [pytest.mark.slurm]


def _same_files(a: Path, b: Path, pattern: str) -> list[str]:
    names = sorted(p.name for p in a.glob(pattern))
    assert names and names == sorted(p.name for p in b.glob(pattern)), (names, sorted(p.name for p in b.glob(pattern)))
    return [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]


@pytest.mark.timeout(400)
def test_preprocess_sh_with_a_worker_job_on_each_node_matches_one_worker(parts2, two_nodes_env, tmp_path):
    """``parts2`` was partitioned by one local Dask worker; the same inputs and partition settings through
    slurm/preprocess.sh (MODE=jobs), whose two worker jobs each take a whole node (2 cores), give the same bytes."""
    src = parts2.parent                                   # covariates.nc and store/ of the toy case
    logs = tmp_path / "worker-logs"
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(yaml.safe_dump({"kind": "slurm", "slurm": {
        "cores": 2, "processes": 1, "memory": "2GiB", "walltime": "00:10:00", "jobs": 2,
        "job_extra_directives": ["--job-name=oxy-prep-2n"], "local_directory": str(tmp_path / "scratch"),
        "log_directory": str(logs), "wait_for_workers_s": 180,
        "job_script_prologue": ['echo "dask worker job on node $SLURMD_NODENAME"']}}))
    config = tmp_path / "preprocess.yaml"
    config.write_text(yaml.safe_dump({"cluster": str(cluster), "store": str(src / "store"), "ingest": {},
                                      "partition": {"covariates": str(src / "covariates.nc"),
                                                    "out": str(tmp_path / "parts"), "zones_lon": 2, "zones_lat": 2}}))
    env = dict(two_nodes_env, CONFIG=str(config), CLUSTER=str(cluster), STAGES="partition",
               OXYGEN_HPC_BIN=str(Path(sys.executable).with_name("oxygen-hpc")))
    t0 = time.monotonic()
    r = subprocess.run(["bash", str(ROOT / "slurm" / "preprocess.sh")], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=360)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    worker_logs = "\n".join(p.read_text(errors="replace") for p in logs.glob("*"))
    nodes = {line.rsplit(" ", 1)[1] for line in worker_logs.splitlines() if line.startswith("dask worker job on node")}
    assert len(nodes) == 2 and {n[-3:] for n in nodes} == {"-n1", "-n2"}, worker_logs[-2000:]
    assert _same_files(tmp_path / "parts", parts2, "year=*.h5") == []
    assert (tmp_path / "parts" / "manifest.json").read_bytes() == (parts2 / "manifest.json").read_bytes()
    print(f"two-node preprocess (partition stage): {time.monotonic() - t0:.0f} s")


def _netcdf_content(path: Path) -> dict:
    """Every variable's raw bytes and every attribute, but the write time in ``history``; and the file size."""
    import netCDF4

    with netCDF4.Dataset(path) as ds:
        ds.set_auto_maskandscale(False)
        out = {"size": path.stat().st_size, "attrs": {k: str(ds.getncattr(k)) for k in ds.ncattrs() if k != "history"}}
        for name, v in ds.variables.items():
            out[name] = (v[:].tobytes(), {k: str(v.getncattr(k)) for k in v.ncattrs()})
    return out


@pytest.mark.timeout(300)
def test_infer_sh_one_rank_per_node_writes_the_bytes_of_one_process(parts2, two_nodes_env, tmp_path):
    """The same files as one process, to the byte except the write time in the ``history`` attribute (both runs
    write to the same folder, one after the other, so the recorded config is the same too)."""
    ckpt = save_checkpoint(parts2, tmp_path / "model.ckpt", seed=0)
    out, one = tmp_path / "out", tmp_path / "one"
    assert predict("--partitions", parts2, "--checkpoint", ckpt, "--out", out) == 0
    out.rename(one)
    env = dict(two_nodes_env, CONFIG=str(ROOT / "configs/infer/tiny.yaml"), CHECKPOINT=str(ckpt), OUT=str(out),
               PARTITIONS=str(parts2), DEVICE="cpu")
    t0 = time.monotonic()
    job = sbatch(["--nodes=2", "--ntasks-per-node=1", "--gpus-per-node=0", "--cpus-per-task=1",
                  "--time=00:05:00", str(ROOT / "slurm" / "infer.sh")], env, tmp_path)
    st = wait_end(job, env, 240)
    text = log(tmp_path, job, prefix="oxygen-predict")
    assert st in ("COMPLETED", "GONE"), text[-3000:]
    assert "2 rank(s) (mpi)" in text, text[-3000:]
    ranks_nodes = {line.split("]")[0] for line in text.splitlines() if line.startswith("[rank ")}
    assert ranks_nodes == {"[rank 0", "[rank 1"}, text[-3000:]                 # both ranks wrote years
    names = sorted(p.name for p in one.glob("o2_*.nc"))
    assert names and sorted(p.name for p in out.glob("o2_*.nc")) == names
    for n in names:
        assert _netcdf_content(out / n) == _netcdf_content(one / n), n
    print(f"two-node infer.sh: {time.monotonic() - t0:.0f} s")
