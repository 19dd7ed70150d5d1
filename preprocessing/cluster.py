"""Dask clusters from config: a LocalCluster (default) or a dask-jobqueue SLURMCluster.

``configs/cluster/local.yaml`` and ``configs/cluster/slurm.yaml`` map 1:1 onto :class:`ClusterConfig`.
Use :func:`open_client` as a context manager; it closes the cluster (and cancels Slurm worker jobs) on exit.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Iterator, Literal

from oxygen_contracts import config as cfg


@dataclass(frozen=True)
class LocalSpec:
    n_workers: int = 2
    threads_per_worker: int = 1
    memory_limit: str = "4GiB"             # per worker; a worker above it is restarted by Dask
    processes: bool = True


@dataclass(frozen=True)
class SlurmSpec:
    """dask-jobqueue SLURMCluster arguments (one Slurm job = ``processes`` workers)."""

    queue: str | None = None
    account: str | None = None
    cores: int = 4
    processes: int = 4
    memory: str = "16GiB"
    walltime: str = "01:00:00"
    jobs: int = 2                          # jobs to scale to (``cluster.scale(jobs=...)``)
    job_extra_directives: list[str] = field(default_factory=list)
    job_script_prologue: list[str] = field(default_factory=list)
    local_directory: str | None = None     # node-local scratch for spilling, e.g. $TMPDIR
    log_directory: str | None = None
    worker_lifetime: str | None = None     # e.g. "55m": workers retire before walltime (--lifetime)
    worker_lifetime_stagger: str = "4m"
    interface: str | None = None
    python: str | None = None              # interpreter on the compute nodes (default: this one)
    wait_for_workers_s: float = 600.0


@dataclass(frozen=True)
class ClusterConfig:
    kind: Literal["local", "slurm"] = "local"
    local: LocalSpec = field(default_factory=LocalSpec)
    slurm: SlurmSpec = field(default_factory=SlurmSpec)


def load_cluster_config(path: str | None) -> ClusterConfig:
    return ClusterConfig() if path is None else cfg.load(path, ClusterConfig)


def _slurm_cluster(s: SlurmSpec):
    from dask_jobqueue import SLURMCluster

    extra = []
    if s.worker_lifetime:
        extra = ["--lifetime", s.worker_lifetime, "--lifetime-stagger", s.worker_lifetime_stagger]
    kwargs = dict(cores=s.cores, processes=s.processes, memory=s.memory, walltime=s.walltime,
                  job_extra_directives=list(s.job_extra_directives),
                  job_script_prologue=list(s.job_script_prologue), worker_extra_args=extra)
    for k in ("queue", "account", "local_directory", "log_directory", "interface", "python"):
        if getattr(s, k) is not None:
            kwargs[k] = os.path.expandvars(getattr(s, k))
    return SLURMCluster(**kwargs)


@contextlib.contextmanager
def open_client(config: ClusterConfig | str | None = None, n_workers: int | None = None) -> Iterator:
    """Yield a ``distributed.Client`` on the configured cluster; everything is shut down on exit.

    ``n_workers`` overrides the local worker count (or the number of Slurm jobs)."""
    from distributed import Client, LocalCluster

    c = config if isinstance(config, ClusterConfig) else load_cluster_config(config)
    if c.kind == "local":
        lc = c.local
        cluster = LocalCluster(n_workers=n_workers or lc.n_workers, threads_per_worker=lc.threads_per_worker,
                               memory_limit=lc.memory_limit, processes=lc.processes, dashboard_address=None)
        n_expected = n_workers or lc.n_workers
    else:
        cluster = _slurm_cluster(c.slurm)
        jobs = n_workers or c.slurm.jobs
        cluster.scale(jobs=jobs)
        n_expected = 1
    try:
        with Client(cluster) as client:
            if c.kind == "slurm":
                client.wait_for_workers(n_expected, timeout=c.slurm.wait_for_workers_s)
            yield client
    finally:
        cluster.close()
