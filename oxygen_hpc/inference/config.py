"""``oxygen-hpc predict`` configuration: a dataclass loaded from YAML (``configs/infer/*.yaml``).

Unknown keys and wrong types are refused with a one-line error naming the file and the key
(``oxygen_contracts.config.load``); the CLI turns that into exit status 2. CLI flags override the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxygen_contracts.config import ConfigError, load

DEVICES = ("cpu", "cuda", "auto")
BATCH_NODES = {"cpu": 16_384, "cuda": 2_000_000}
PRECISIONS = ("fp32", "bf16")


@dataclass
class InferConfig:
    """Args:
        partitions: partitions folder (``manifest.json`` + ``year=YYYY.h5``); the grid comes from its manifest.
        checkpoints: one checkpoint, or several for an ensemble (mean → ``o2``, population std → ``o2_std``).
        out: output folder of ``o2_YYYY.nc``.
        years: ``[first, last]`` inclusive (default: every year of the partitions).
        batch_nodes: nodes per forward pass; whole partitions of one year are packed up to this many (a partition
            larger than it goes alone). null = by device: 16,384 on CPU (the model is memory-bound there: batches
            that fit the caches ran 1.5-2x faster per node than 60 k-node ones), 2,000,000 on GPU.
        device: ``cpu`` | ``cuda`` | ``auto`` (cuda when available). Under MPI/Slurm rank r uses GPU
            r mod (visible GPUs), so ``--gpus-per-node`` = ``--ntasks-per-node`` gives one GPU per rank.
        precision: ``fp32`` | ``bf16`` (autocast; GPU only; output is float32 either way).
        threads: torch intra-op threads per rank (null: the CPUs of this process / ranks on the node).
        num_workers: DataLoader worker processes reading partitions ahead of the model (0 = in the rank).
        complevel: zlib level of the NetCDF variables (0 = no compression).
        resume: skip years whose finished file matches these checkpoints (else recompute every year).
        allowed_models: class paths of networks outside ``oxygen_hpc.models`` that the checkpoints may name (a
            checkpoint's own list is never trusted; without this only the project's models are built).
        spread_scale: factor on every member's deviation from the ensemble mean (so on ``o2_std`` and the members'
            spread), fitted on the validation fold by ``oxygen-hpc calibrate``; 1 = the raw spread.
        background: the background field of models that learn the anomaly (``oxygen-hpc background``, built for
            these partitions); required exactly when the checkpoints' models use one.
        write_members: also write every member's field as ``o2_member`` (member, time, depth, lat, lon) next to
            ``o2``/``o2_std`` (``oxygen-hpc products`` then reports the ensemble spread of every product); part of
            the completion key, so a year finished without members is recomputed when members are asked for.
    """

    partitions: str | None = None
    checkpoints: list[str] = field(default_factory=list)
    out: str = "reconstruction"
    years: list[int] | None = None
    batch_nodes: int | None = None
    device: str = "auto"
    precision: str = "fp32"
    threads: int | None = None
    num_workers: int = 0
    complevel: int = 1
    resume: bool = True
    allowed_models: list[str] = field(default_factory=list)
    background: str | None = None
    spread_scale: float = 1.0
    write_members: bool = False

    def __post_init__(self):
        if self.years is not None and (len(self.years) != 2 or self.years[1] < self.years[0]):
            raise ConfigError("years", f"must be [first, last] with first <= last, got {list(self.years)}")
        if self.batch_nodes is not None and self.batch_nodes < 1:
            raise ConfigError("batch_nodes", f"must be >= 1, got {self.batch_nodes}")
        if self.device not in DEVICES:
            raise ConfigError("device", f"must be one of {list(DEVICES)}, got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError("precision", f"must be one of {list(PRECISIONS)}, got {self.precision!r}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError("threads", f"must be >= 1 or null, got {self.threads}")
        if self.num_workers < 0:
            raise ConfigError("num_workers", f"must be >= 0, got {self.num_workers}")
        if not (self.spread_scale > 0 and self.spread_scale < float("inf")):
            raise ConfigError("spread_scale", f"must be a positive number, got {self.spread_scale}")
        if not 0 <= self.complevel <= 9:
            raise ConfigError("complevel", f"must be 0..9, got {self.complevel}")


def parse_years(text: str) -> list[int]:
    """``"1920:2023"`` or ``"1955"`` → ``[first, last]``."""
    a, _, b = text.partition(":")
    try:
        first, last = int(a), int(b or a)
    except ValueError:
        raise ConfigError("years", f"--years must be A:B or A, got {text!r}") from None
    return [first, last]


def load_config(path: str | Path | None, overrides: dict | None = None) -> InferConfig:
    """Config from YAML ``path`` (None = defaults) with ``overrides`` (CLI flags, top-level keys) on top."""
    if path is None:
        from oxygen_contracts.config import from_dict

        return from_dict(InferConfig, dict(overrides or {}))
    return load(path, InferConfig, overrides)
