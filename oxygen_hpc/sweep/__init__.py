"""Sweeps: a W&B-syntax spec expanded into full configs and run as one Slurm job array (``oxygen-hpc sweep``)."""
