"""``oxygen-hpc partition --config configs/preprocess/<name>.yaml [--store --covariates --out --workers]``."""
from __future__ import annotations

import argparse
import sys

from oxygen_contracts.config import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oxygen-hpc partition",
                                description="grid observations and write HDF5 graph partitions")
    p.add_argument("--config", help="preprocess YAML (blocks cluster, store, ingest, partition)")
    p.add_argument("--store", help="observation store directory (overrides `store:`)")
    p.add_argument("--covariates", help="covariates NetCDF (overrides partition.covariates)")
    p.add_argument("--out", help="output directory (overrides partition.out)")
    p.add_argument("--cluster", help="cluster YAML (overrides `cluster:`)")
    p.add_argument("--workers", type=int, help="number of Dask workers (local) or Slurm jobs")
    p.add_argument("--years", help="YEAR or START:END (inclusive) sub-range to write")
    p.add_argument("--force", action="store_true", help="rewrite every year even if its file matches")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from preprocessing.partition.config import load_job
    from preprocessing.partition.pipeline import run

    over = {"covariates": args.covariates, "out": args.out}
    if args.years:
        a, _, b = args.years.partition(":")
        over["year_start"], over["year_end"] = int(a), int(b or a)
    try:
        job = load_job(args.config, over)
    except ConfigError as e:
        print(f"oxygen-hpc partition: {e}", file=sys.stderr)
        return 2
    store = args.store or job.store
    try:
        s = run(job.partition, store, cluster=args.cluster or job.cluster, workers=args.workers, force=args.force,
                progress=not args.no_progress)
    except (ValueError, KeyError, OSError) as e:
        print(f"oxygen-hpc partition: {e}", file=sys.stderr)
        return 1
    t = s.manifest["totals"]
    print(f"partition: {s.written} year files written, {s.skipped} reused; {t['partitions']} partitions, "
          f"{t['nodes']} nodes ({t['owned']} owned, {t['labelled']} labelled), {t['edges']} edges, "
          f"{t['obs_rows']} observation rows, {t['bytes'] / 2**20:.1f} MiB in {s.seconds:.1f} s "
          f"-> {s.out}/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
