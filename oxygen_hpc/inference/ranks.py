"""Rank and world size of this process: mpi4py under ``mpiexec``/``srun --mpi=pmi2``, else Slurm env, else one.

MPI is initialised only when a process manager set its environment (PMI/PMIx/Open MPI/Hydra variables), so a
plain ``oxygen-hpc predict`` never touches MPI. Under ``srun`` without an MPI plugin the ranks come from
``SLURM_PROCID``/``SLURM_NTASKS`` (no communication is needed: each rank owns whole years and writes its own
files). ``Ranks.barrier``/``gather`` fall back to no-ops / local lists without a communicator.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

MPI_ENV = ("PMI_RANK", "PMI_SIZE", "PMI_FD", "PMIX_RANK", "OMPI_COMM_WORLD_RANK", "MPI_LOCALNRANKS",
           "HYDRA_CONTROL_FD")
LOCAL_SIZE_ENV = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE")
LOCAL_RANK_ENV = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID")


@dataclass
class Ranks:
    rank: int = 0
    size: int = 1
    comm: Any = None
    source: str = "single"          # mpi | slurm | single

    @property
    def local_rank(self) -> int:
        for k in LOCAL_RANK_ENV:
            if os.environ.get(k, "").isdigit():
                return int(os.environ[k])
        return self.rank

    @property
    def local_size(self) -> int:
        for k in LOCAL_SIZE_ENV:
            v = os.environ.get(k, "").split("(")[0]       # SLURM_NTASKS_PER_NODE may read "2(x3)"
            if v.isdigit():
                return max(int(v), 1)
        return self.size

    def barrier(self) -> None:
        if self.comm is not None:
            self.comm.Barrier()

    def gather(self, obj: Any) -> list | None:
        """Every rank's ``obj`` on rank 0 (None elsewhere); without a communicator, ``[obj]`` on every rank."""
        if self.comm is None:
            return [obj]
        return self.comm.gather(obj, root=0)


def _env_int(*names: str) -> int | None:
    for n in names:
        v = os.environ.get(n, "")
        if v.isdigit():
            return int(v)
    return None


def detect() -> Ranks:
    """This process's :class:`Ranks`."""
    if any(k in os.environ for k in MPI_ENV):
        try:
            from mpi4py import MPI

            comm = MPI.COMM_WORLD
            if comm.Get_size() > 1 or _env_int("PMI_SIZE", "OMPI_COMM_WORLD_SIZE") in (None, 1):
                return Ranks(comm.Get_rank(), comm.Get_size(), comm, "mpi")
        except ImportError:
            pass
        rank, size = _env_int("PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK"), _env_int("PMI_SIZE",
                                                                                         "OMPI_COMM_WORLD_SIZE")
        if rank is not None and size:
            return Ranks(rank, size, None, "mpi-env")
    rank, size = _env_int("SLURM_PROCID"), _env_int("SLURM_NTASKS")
    if rank is not None and size:
        return Ranks(rank, size, None, "slurm")
    return Ranks()


def assign_years(sizes: dict[int, int], world: int) -> dict[int, list[int]]:
    """Years → ranks by size (largest first onto the least-loaded rank; ties to the lower rank, then the earlier
    year), the same on every rank. Every year goes to exactly one rank. Returns ``{rank: sorted years}``."""
    load = [0] * world
    out: dict[int, list[int]] = {r: [] for r in range(world)}
    for year in sorted(sizes, key=lambda y: (-sizes[y], y)):
        r = min(range(world), key=lambda i: (load[i], i))
        out[r].append(year)
        load[r] += max(int(sizes[year]), 1)
    return {r: sorted(ys) for r, ys in out.items()}
