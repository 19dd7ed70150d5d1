"""Ingest configuration (the ``ingest`` block of ``configs/preprocess/*.yaml``) and the preprocess file loader."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oxygen_contracts.config import ConfigError, from_dict
from preprocessing.readers.base import ReaderOptions
from oxygen_contracts.schema import SOURCES


@dataclass(frozen=True)
class QCConfig:
    """Range checks applied to every value that the source's own flags passed (store units)."""

    ranges: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "oxygen": (0.0, 600.0), "temperature": (-2.5, 40.0), "salinity": (0.0, 42.0),
        "nitrate": (0.0, 60.0), "phosphate": (0.0, 5.0), "silicate": (0.0, 250.0)})
    supersaturation_max: float = 1.2       # O2 / solubility above this ...
    supersaturation_min_depth: float = 200.0   # ... below this depth (m) is rejected
    max_depth: float = 11000.0

    def __post_init__(self):
        for v, (lo, hi) in self.ranges.items():
            if lo >= hi:
                raise ConfigError(f"qc.ranges.{v}", f"lower bound {lo} must be below upper bound {hi}")


@dataclass(frozen=True)
class DuplicateConfig:
    """Same cast in two sources: position/time/depth tolerances; the higher-priority source keeps it."""

    priority: tuple[str, ...] = ("cchdo", "glodap", "geotraces", "wod", "argo")
    position_tol_deg: float = 0.05
    time_tol_minutes: float = 60.0
    depth_tol_m: float = 2.0
    min_shared_levels: float = 0.5         # share of the lower-priority cast's levels that must match

    def __post_init__(self):
        unknown = [s for s in self.priority if s not in SOURCES]
        if unknown:
            raise ConfigError("duplicates.priority", f"unknown source(s) {unknown} (known: {list(SOURCES)})")


@dataclass(frozen=True)
class IngestConfig:
    sources: dict[str, list[str]] = field(default_factory=dict)   # source -> files, folders or globs
    strict: bool = False
    chunk_rows: int = 2_000_000            # big CSVs are read in chunks of this many rows
    qc: QCConfig = field(default_factory=QCConfig)
    duplicates: DuplicateConfig = field(default_factory=DuplicateConfig)
    readers: ReaderOptions = field(default_factory=ReaderOptions)

    def __post_init__(self):
        for s in self.sources:
            if s not in SOURCES:
                raise ConfigError(f"sources.{s}", f"unknown source (known: {', '.join(SOURCES)})")


TOP_LEVEL_KEYS = ("cluster", "store", "ingest", "partition")


@dataclass
class PreprocessFile:
    """The parts of a preprocess YAML the ingest stage needs."""

    path: str | None
    cluster: str | None
    store: str | None
    ingest: IngestConfig


def load_preprocess(path: str | None) -> PreprocessFile:
    if path is None:
        return PreprocessFile(None, None, None, IngestConfig())
    try:
        data: dict[str, Any] = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ConfigError("", "config file not found", path) from None
    except yaml.YAMLError as e:
        raise ConfigError("", f"not valid YAML ({str(e).splitlines()[0]})", path) from None
    for k in data:
        if k not in TOP_LEVEL_KEYS:
            raise ConfigError(k, f"unknown key (known: {', '.join(TOP_LEVEL_KEYS)})", path)
    try:
        ingest = from_dict(IngestConfig, data.get("ingest") or {}, prefix="ingest")
    except ConfigError as e:
        raise e.in_file(path) from None
    return PreprocessFile(path, data.get("cluster"), data.get("store"), ingest)
