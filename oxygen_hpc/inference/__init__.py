"""``oxygen-hpc predict``: every ocean cell of every year from HDF5 partitions to CF-1.8 NetCDF, one file per year.

``config`` (YAML → :class:`InferConfig`), ``ranks`` (MPI / Slurm / single-process rank and world), ``runner``
(years split across ranks, batched inference, exactly-once check), ``writer`` (CF NetCDF, atomic and resumable),
``cli`` (the verb). Modules are imported where used, so ``import oxygen_hpc.inference`` is cheap.
"""
