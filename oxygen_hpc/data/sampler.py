"""Distributed samplers over partitions.

Both subclass ``DistributedSampler`` so that Lightning leaves them as they are (it wraps only other samplers).

- :class:`ZoneWeightedSampler` (training): each epoch draws ``ceil(n / replicas) * replicas`` partitions with
  replacement, with probability proportional to the weight of the partition's zone times its base weight (by
  default its number of labelled nodes, so every label is equally likely to be trained on and partitions with no
  label are never drawn), from a generator seeded by
  ``seed + epoch`` — the same draw on every rank — and rank r takes draws r, r + R, … (equal count per rank).
  A zone-adaptive callback calls :meth:`set_zone_weights` with the SAME weights on every rank.
- :class:`ShardedSequentialSampler` (validation/test/predict): indices in order, rank r takes r, r + R, …, no
  padding, so no partition is counted twice.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DistributedSampler


def _world(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    dist = torch.distributed
    on = dist.is_available() and dist.is_initialized()
    return (num_replicas if num_replicas is not None else (dist.get_world_size() if on else 1),
            rank if rank is not None else (dist.get_rank() if on else 0))


class ZoneWeightedSampler(DistributedSampler):
    """Args:
        zones: zone of each dataset item (``PartitionDataset.zones``).
        num_replicas, rank: default from ``torch.distributed`` (1, 0 when not initialised).
        seed: base seed; the epoch is added (``set_epoch``).
        num_samples: draws per epoch over all ranks (default ``len(zones)``).
        base_weights: per-item weight multiplying the zone weight (e.g. labelled nodes per partition); ``None``:
            uniform. Must be finite and ≥ 0 with a positive sum.
    """

    def __init__(self, zones: Sequence[int], num_replicas: int | None = None, rank: int | None = None,
                 seed: int = 0, num_samples: int | None = None, with_keys: bool = False,
                 base_weights: Sequence[float] | None = None):
        R, r = _world(num_replicas, rank)
        super().__init__(list(zones), num_replicas=R, rank=r, shuffle=True, seed=seed, drop_last=False)
        self.item_zones = np.asarray(list(zones), np.int64)
        self.zone_weights: dict[int, float] = {}
        self.base_weights = None
        if base_weights is not None:
            b = np.asarray(list(base_weights), np.float64)
            if b.shape != self.item_zones.shape:
                raise ValueError(f"base_weights has {b.size} values for {self.item_zones.size} items")
            if not np.isfinite(b).all() or (b < 0).any() or (b.size and b.sum() <= 0):
                raise ValueError("base_weights must be finite, >= 0 and not all zero")
            self.base_weights = b
        total = len(self.item_zones) if num_samples is None else int(num_samples)
        self.num_samples = math.ceil(total / R) if total else 0
        self.total_size = self.num_samples * R
        self.with_keys = with_keys     # yield (index, epoch, position): the dataset seeds its masking with it
        self.resume_at: tuple[int, int] | None = None   # (epoch, draws of this rank to skip): mid-epoch resume

    def set_zone_weights(self, weights: dict[int, float]) -> None:
        """Weight per zone (missing zones keep 1.0); must be > 0 and finite."""
        w = {int(z): float(v) for z, v in weights.items()}
        if any(not np.isfinite(v) or v <= 0 for v in w.values()):
            raise ValueError("zone weights must be finite and > 0")
        self.zone_weights = w

    def item_weights(self) -> torch.Tensor:
        w = np.array([self.zone_weights.get(int(z), 1.0) for z in self.item_zones], np.float64)
        if self.base_weights is not None:
            w = w * self.base_weights
        return torch.from_numpy(w / w.sum()) if len(w) else torch.zeros(0, dtype=torch.float64)

    def __iter__(self):
        if self.total_size == 0:
            return iter([])
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        draws = torch.multinomial(self.item_weights(), self.total_size, replacement=True, generator=g)
        mine = draws[self.rank:self.total_size:self.num_replicas].tolist()
        start = 0
        if self.resume_at is not None and self.resume_at[0] == self.epoch:
            start = self.resume_at[1]
        self.resume_at = None
        if self.with_keys:
            return iter([(i, self.epoch, pos) for pos, i in enumerate(mine)][start:])
        return iter(mine[start:])

    def __len__(self) -> int:
        return self.num_samples


class ShardedSequentialSampler(DistributedSampler):
    def __init__(self, n: int, num_replicas: int | None = None, rank: int | None = None):
        R, r = _world(num_replicas, rank)
        super().__init__(range(n), num_replicas=R, rank=r, shuffle=False, drop_last=False)
        self.n = n
        self.num_samples = len(range(r, n, R))

    def __iter__(self):
        return iter(range(self.rank, self.n, self.num_replicas))

    def __len__(self) -> int:
        return self.num_samples
