"""`oxygen-hpc ingest`: observation files → Parquet observation store + ingest_report.json."""
from __future__ import annotations

import argparse
import sys

from oxygen_contracts.config import ConfigError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oxygen-hpc ingest", description=__doc__)
    p.add_argument("--config", help="configs/preprocess/<name>.yaml (blocks: cluster, store, ingest, partition)")
    p.add_argument("--source", action="append", default=[], metavar="NAME=PATH",
                   help="add input files: wod|cchdo|argo|glodap|geotraces = file, folder (recursive) or glob")
    p.add_argument("--out", help="observation store directory (overrides the config's store)")
    p.add_argument("--cluster", help="configs/cluster/*.yaml (default: the config's, else a LocalCluster)")
    p.add_argument("--workers", type=int, help="number of local workers / Slurm jobs")
    p.add_argument("--strict", action="store_true", help="exit 1 if any file failed or had a problem")
    return p


def _summary_line(report: dict, store: str) -> str:
    ox = report["totals"]["oxygen"]
    rej = sum(ox["rejected"].values())
    return (f"ingest: {report['n_files']} files ({len(report['failed_files'])} failed, "
            f"{len(report['problems'])} problems); oxygen values read {ox['read']:,}, accepted {ox['accepted']:,}, "
            f"rejected {rej:,} {dict(sorted(ox['rejected'].items()))}\n"
            f"store: {store}\nreport: {store}/ingest_report.json")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from preprocessing.ingest.config import load_preprocess
    from oxygen_contracts.schema import SOURCES

    try:
        pf = load_preprocess(args.config)
        sources = {k: list(v) for k, v in pf.ingest.sources.items()}
        for s in args.source:
            name, sep, path = s.partition("=")
            if not sep or name not in SOURCES:
                raise ConfigError("--source", f"expected NAME=PATH with NAME in {', '.join(SOURCES)}, got {s!r}")
            sources.setdefault(name, []).append(path)
        store = args.out or pf.store
        if not store:
            raise ConfigError("store", "no output directory: give --out or `store:` in the config")
        if not sources:
            raise ConfigError("ingest.sources", "no inputs: give --source NAME=PATH or ingest.sources in the config")
        from preprocessing.cluster import load_cluster_config
        from oxygen_contracts.config import resolve_path

        cluster = load_cluster_config(args.cluster or resolve_path(pf.cluster, pf.path))
    except ConfigError as e:
        print(f"oxygen-hpc ingest: {e}", file=sys.stderr)
        return 2
    import dataclasses

    from preprocessing.ingest.pipeline import run_ingest

    cfg = dataclasses.replace(pf.ingest, sources=sources, strict=args.strict or pf.ingest.strict)
    report = run_ingest(cfg, store, cluster=cluster, workers=args.workers)
    print(_summary_line(report, store))
    for f in report["failed_files"]:
        print(f"  FAILED {f['error']}", file=sys.stderr)
    for p in report["problems"][:20]:
        print(f"  problem: {p}", file=sys.stderr)
    if len(report["problems"]) > 20:
        print(f"  … {len(report['problems']) - 20} more problems in the report", file=sys.stderr)
    if cfg.strict and (report["failed_files"] or report["problems"] or report["unmatched_inputs"]):
        print("oxygen-hpc ingest: --strict: failing because of the errors above", file=sys.stderr)
        return 1
    return 0
