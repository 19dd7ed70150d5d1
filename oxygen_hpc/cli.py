"""`oxygen-hpc` console script: one verb per stage, each in its own module.

Preprocessing verbs live in ``preprocessing`` (Dask side), learning verbs in ``oxygen_hpc`` (torch side); a verb's
module is imported only when that verb runs, so ``oxygen-hpc synth`` never imports torch and ``oxygen-hpc fit``
never imports Dask. Each verb module exposes ``main(argv: list[str]) -> int``.
"""
from __future__ import annotations

import importlib
import sys

VERBS = {
    "synth": ("preprocessing.synthetic.cli", "build the synthetic ocean (OSSE) in native file formats"),
    "covariates": ("preprocessing.covariates.cli", "covariates.nc on a grid from WOA climatology + EN4 analyses"),
    "ingest": ("preprocessing.ingest.cli", "read observation files into the Parquet observation store"),
    "partition": ("preprocessing.partition.cli", "grid observations and write HDF5 graph partitions"),
    "check": ("preprocessing.partition.check", "verify partitions against their manifest"),
    "background": ("oxygen_hpc.background.cli", "covariate background field from training folds (the anomaly)"),
    "fit": ("oxygen_hpc.training.cli", "train (LightningCLI)"),
    "validate": ("oxygen_hpc.training.cli", "validate a checkpoint (LightningCLI)"),
    "test": ("oxygen_hpc.training.cli", "test a checkpoint (LightningCLI)"),
    "predict": ("oxygen_hpc.inference.cli", "predict every ocean cell of every year (CF-NetCDF per year)"),
    "calibrate": ("oxygen_hpc.inference.calibrate", "fit an ensemble's spread scale on the validation fold"),
    "products": ("oxygen_hpc.products.cli", "OMZ areas/volumes, inventory, trends, maps"),
    "sweep": ("oxygen_hpc.sweep.cli", "expand and submit a sweep as one Slurm job array; report results"),
}


def usage() -> str:
    lines = ["usage: oxygen-hpc VERB [options]   (oxygen-hpc VERB --help for a verb's options)", "", "verbs:"]
    lines += [f"  {v:<10} {d}" for v, (_, d) in VERBS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    verb, rest = argv[0], argv[1:]
    if verb in ("-V", "--version"):
        from oxygen_hpc import __version__

        print(__version__)
        return 0
    if verb not in VERBS:
        print(f"oxygen-hpc: unknown verb '{verb}'\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(VERBS[verb][0])
    if VERBS[verb][0] == "oxygen_hpc.training.cli":
        return int(module.main([verb, *rest]) or 0)
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
