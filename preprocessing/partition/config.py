"""The ``partition:`` block of a preprocess YAML, mapped 1:1 onto :class:`PartitionConfig`.

A preprocess YAML has the top-level blocks ``cluster`` (path to ``configs/cluster/*.yaml``), ``store`` (the
observation store directory), ``ingest`` (read by the ingest stage, ignored here) and ``partition``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from oxygen_contracts.config import ConfigError, from_dict, resolve_path, to_dict

TOP_LEVEL_KEYS = ("cluster", "store", "ingest", "partition")


@dataclass(frozen=True)
class FoldSpec:
    """Evaluation folds, fixed at partition time.

    Args:
        n_folds: number of folds (2..127).
        scheme: ``spatial_block_year`` (block_deg x block_deg lon/lat blocks, per year), ``year_zone`` (a whole
            (year, zone), as in the paper) or ``random_cell`` (each node (cell, year) on its own).
        block_deg: block size in degrees for ``spatial_block_year``.
        seed: seed of the deterministic hash that assigns folds.
    """

    n_folds: int = 5
    scheme: Literal["spatial_block_year", "year_zone", "random_cell"] = "spatial_block_year"
    block_deg: float = 20.0
    seed: int = 0

    def __post_init__(self):
        if not 2 <= self.n_folds <= 127:
            raise ConfigError("folds.n_folds", f"must be between 2 and 127, got {self.n_folds}")
        if self.block_deg <= 0:
            raise ConfigError("folds.block_deg", f"must be > 0, got {self.block_deg}")


@dataclass(frozen=True)
class HubSpec:
    """Optional hub edges (paper): from observed cells to unobserved ones on the same level within a radius."""

    enabled: bool = False
    radius_km: float = 1000.0
    max_per_node: int = 4

    def __post_init__(self):
        if self.radius_km <= 0 or self.max_per_node < 1:
            raise ConfigError("hub", "radius_km must be > 0 and max_per_node >= 1")


@dataclass(frozen=True)
class Normalisation:
    """FIXED constants for observed values (never statistics of the observations: that would leak)."""

    oxygen_mean: float = 200.0
    oxygen_std: float = 80.0
    phosphate_mean: float = 1.5
    phosphate_std: float = 1.0
    nitrate_mean: float = 20.0
    nitrate_std: float = 15.0

    def __post_init__(self):
        for k in ("oxygen_std", "phosphate_std", "nitrate_std"):
            if getattr(self, k) <= 0:
                raise ConfigError(f"normalisation.{k}", "must be > 0")


@dataclass(frozen=True)
class PartitionConfig:
    """Args:
        covariates: covariates NetCDF (dims time, depth, lat, lon; ocean = finite temperature).
        out: output directory (``year=YYYY.h5`` + ``manifest.json``).
        zones_lon, zones_lat: zone tiling.
        layers: message-passing layers = halo hops.
        year_start, year_end: optional sub-range of the covariates' years to write.
        batch_rows: rows per Parquet record batch when binning (bounds memory per worker).
    """

    covariates: str = ""
    out: str = "partitions"
    zones_lon: int = 8
    zones_lat: int = 4
    layers: int = 2
    year_start: int | None = None
    year_end: int | None = None
    folds: FoldSpec = field(default_factory=FoldSpec)
    hub: HubSpec = field(default_factory=HubSpec)
    normalisation: Normalisation = field(default_factory=Normalisation)
    batch_rows: int = 1_000_000

    def __post_init__(self):
        if self.layers < 0:
            raise ConfigError("layers", f"must be >= 0, got {self.layers}")
        if self.zones_lon < 1 or self.zones_lat < 1:
            raise ConfigError("zones_lon", "zones_lon and zones_lat must be >= 1")
        if self.batch_rows < 1:
            raise ConfigError("batch_rows", "must be >= 1")

    def fingerprint(self) -> dict:
        """The config as recorded in the manifest (``out`` left out: a partition set may be moved)."""
        d = to_dict(self)
        d.pop("out")
        d.pop("batch_rows")
        return d


@dataclass
class PartitionJob:
    """What ``oxygen-hpc partition`` needs from a preprocess YAML."""

    path: str | None
    cluster: str | None
    store: str | None
    partition: PartitionConfig


def load_job(path: str | None, overrides: dict[str, Any] | None = None) -> PartitionJob:
    """Read the ``cluster``, ``store`` and ``partition`` blocks; ``ingest`` is accepted and ignored."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise ConfigError("", "config file not found", path) from None
        except yaml.YAMLError as e:
            raise ConfigError("", f"not valid YAML ({str(e).splitlines()[0]})", path) from None
        if not isinstance(data, dict):
            raise ConfigError("", "top level must be a mapping", path)
        for k in data:
            if k not in TOP_LEVEL_KEYS:
                raise ConfigError(str(k), f"unknown key (known: {', '.join(TOP_LEVEL_KEYS)})", path)
    block = dict(data.get("partition") or {})
    block.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        part = from_dict(PartitionConfig, block, prefix="partition")
    except ConfigError as e:
        raise (e.in_file(path) if path else e) from None
    return PartitionJob(path, resolve_path(data.get("cluster"), path), data.get("store"), part)
