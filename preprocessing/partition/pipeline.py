"""Dask orchestration of ``oxygen-hpc partition``.

Driver: read the covariates once (grid, static ocean mask, statistics), build the topology and the zone halos
ONCE, scatter them to the workers. Per year in the store window: one ``bin_year`` task (reads that year's Parquet
in record batches). Per year to write: one ``write_year`` task that depends on the 11 binned years t−5…t+5.
Years are submitted in order through a sliding window (2 × workers in flight), and a binned year is released as
soon as no pending year needs it, so memory stays bounded however many years there are. After every finished
year the manifest is rewritten; a re-run skips every year whose file matches the manifest's sha256.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path


from oxygen_contracts import schema
from preprocessing.partition import features as feat
from preprocessing.partition import manifest as mf
from preprocessing.partition.binning import BinnedYear, bin_year
from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.graph import build_topology
from preprocessing.partition.halo import zone_parts
from preprocessing.partition.writer import write_year

H = schema.SERIES_HALF_WIDTH


@dataclass
class RunSummary:
    out: Path
    written: int
    skipped: int
    manifest: dict
    seconds: float
    records: list


def store_years(store: str | None) -> set[int]:
    if not store or not Path(store).is_dir():
        return set()
    out = set()
    for d in Path(store).glob("year=*"):
        try:
            out.add(int(d.name.split("=", 1)[1]))
        except ValueError:
            pass
    return out


def _empty(year: int) -> BinnedYear:
    return BinnedYear.empty(year)


def run(cfg: PartitionConfig, store: str | None, cluster=None, workers: int | None = None, force: bool = False,
        progress: bool = True) -> RunSummary:
    from distributed import as_completed
    from tqdm import tqdm

    from preprocessing.cluster import open_client

    t0 = time.perf_counter()
    if not cfg.covariates:
        raise ValueError("partition.covariates is not set (config or --covariates)")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.tmp.*"):
        stale.unlink()
    cov = feat.read_covariates(cfg.covariates, cfg.zones_lon, cfg.zones_lat)
    grid = cov.grid
    years = [int(y) for y in cov.years
             if (cfg.year_start is None or y >= cfg.year_start) and (cfg.year_end is None or y <= cfg.year_end)]
    head = mf.header(cfg, grid, cov.stats, store, cfg.covariates)
    done = [] if force else [r for r in mf.reusable(out, head) if r["year"] in years]
    done_years = {r["year"] for r in done}
    todo = [y for y in years if y not in done_years]
    mf.write(out, {**mf.build(head, done), "complete": not todo})
    have = store_years(store)
    records = list(done)
    if todo:
        topo = build_topology(grid, cov.ocean)
        parts = None if cfg.hub.enabled else zone_parts(grid, topo, cfg.layers)
        bottom = feat.bottom_depth(grid, cov.ocean)
        with open_client(cluster, workers) as client:
            n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
            window = 2 * n_workers
            topo_f, parts_f, ocean_f, bottom_f = client.scatter([topo, parts, cov.ocean, bottom], broadcast=True)
            bins: dict[int, object] = {}

            def binned(y):
                if y not in bins:
                    if y in have:
                        bins[y] = client.submit(bin_year, store, y, grid, ocean_f, cfg.batch_rows,
                                                key=f"bin-{y}-{id(bins)}", pure=False)
                    else:
                        bins[y] = client.submit(_empty, y, key=f"bin-{y}-{id(bins)}-empty", pure=False)
                return bins[y]

            def submit(y):
                deps = [binned(y + d) for d in range(-H, H + 1)]
                return client.submit(write_year, str(out), y, grid, cfg.covariates, cov.time_index(y), cov.stats,
                                     bottom_f, topo_f, parts_f, cfg, deps, key=f"write-{y}-{id(bins)}",
                                     pure=False)

            queue = list(todo)
            pending = as_completed([submit(queue.pop(0)) for _ in range(min(window, len(queue)))])
            bar = tqdm(total=len(todo), desc="partition", unit="year", disable=not progress, file=sys.stderr)
            finished: set[int] = set()
            for fut in pending:
                rec = fut.result()
                records.append(rec)
                finished.add(rec["year"])
                mf.write(out, {**mf.build(head, records), "complete": False})
                bar.update(1)
                bar.set_postfix(nodes=rec["n_nodes_total"], refresh=False)
                if queue:
                    pending.add(submit(queue.pop(0)))
                lo = min((y for y in todo if y not in finished), default=10 ** 9)
                for y in [y for y in bins if y < lo - H]:
                    del bins[y]  # no pending or future year needs it: let Dask free it
            bar.close()
    manifest = {**mf.build(head, records), "complete": True}
    mf.write(out, manifest)
    return RunSummary(out, len(todo), len(done), manifest, time.perf_counter() - t0, records)
