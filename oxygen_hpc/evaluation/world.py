"""Build what an OSSE evaluation needs from a synthetic ocean directory: observation store and partitions.

Each stage runs as an ``oxygen-hpc`` subprocess (``oxygen_hpc`` never imports Dask), with a preprocess config
written next to the outputs: the chosen template (``configs/preprocess/tiny.yaml`` or ``demo.yaml``) with every
path replaced by an absolute one into the world and the work directory, so no stray ``demo_out`` input is read.
"""
from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import yaml

from oxygen_contracts.config import resolve_path
from oxygen_contracts.manifest import MANIFEST

SOURCES = ("wod", "cchdo", "argo", "glodap", "geotraces")


def cli() -> list[str]:
    exe = Path(sys.executable).with_name("oxygen-hpc")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "oxygen_hpc.cli"]


def preprocess_config(world: Path, work: Path, template: str | Path, layers: int | None = None) -> Path:
    """Write ``work/preprocess.yaml``: ``template`` with absolute paths into ``world`` and ``work``; ``layers``
    deepens the partitions' halo to at least that many hops (the message-passing depth to be trained)."""
    template = Path(template)
    if not template.is_file():
        raise FileNotFoundError(f"{template}: no such preprocess config (a path, e.g. configs/preprocess/demo.yaml "
                                "from the repository root)")
    cfg = yaml.safe_load(template.read_text())
    cluster = Path(resolve_path(cfg.get("cluster") or "configs/cluster/local.yaml", str(template)))
    if not cluster.is_file():
        raise FileNotFoundError(f"{template}: cluster config {cluster} not found")
    cfg["cluster"] = str(cluster.resolve())
    cfg["store"] = str(work / "store")
    ing = dict(cfg.get("ingest") or {})
    ing["sources"] = {s: [str(world / s)] for s in SOURCES if (world / s).exists()}
    cfg["ingest"] = ing
    part = dict(cfg.get("partition") or {})
    part["covariates"] = str(world / "covariates.nc")
    part["out"] = str(work / "partitions")
    if layers is not None:
        part["layers"] = max(int(part.get("layers") or 0), int(layers))
    cfg["partition"] = part
    work.mkdir(parents=True, exist_ok=True)
    out = work / "preprocess.yaml"
    out.write_text(f"# written by oxygen_hpc.evaluation.world from {template}\n" + yaml.safe_dump(cfg, sort_keys=False))
    return out


def _run(cmd: list[str], log: dict, name: str, quiet: bool) -> None:
    print(f"$ {shlex.join(cmd)}", flush=True)
    t0 = time.time()
    kw = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE} if quiet else {}
    r = subprocess.run(cmd, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {r.returncode}): {shlex.join(cmd)}\n{(r.stderr or '')[-2000:]}")
    log[name] = round(time.time() - t0, 1)


def prepare(world: str | Path, work: str | Path | None = None, template: str | Path = "configs/preprocess/demo.yaml",
            workers: int | None = None, quiet: bool = False, layers: int | None = None) -> tuple[Path, dict]:
    """Ingest and partition ``world`` into ``work`` (default ``world/../osse_work``) unless already done.

    Returns (partitions directory, {stage: seconds} for the stages that ran)."""
    world = Path(world).resolve()
    for f in ("truth.nc", "covariates.nc"):
        if not (world / f).exists():
            raise FileNotFoundError(f"{world / f}: not a synthetic ocean (run `oxygen-hpc synth` first)")
    work = Path(work).resolve() if work else world.parent / "osse_work"
    cfg = preprocess_config(world, work, template, layers)
    store, parts = work / "store", work / "partitions"
    extra = ["--workers", str(workers)] if workers else []
    log: dict = {}
    if not (store / "ingest_report.json").exists():
        _run(cli() + ["ingest", "--config", str(cfg), "--out", str(store), *extra], log, "ingest", quiet)
    if not (parts / MANIFEST).exists():
        _run(cli() + ["partition", "--config", str(cfg), "--store", str(store), "--covariates",
                      str(world / "covariates.nc"), "--out", str(parts), "--no-progress", *extra], log, "partition",
             quiet)
    return parts, log
