"""Per zone: owned nodes + k-hop halo, and the induced subgraph.

A node's output after k message-passing layers depends only on its k-hop in-neighbourhood, so a partition holds
its owned nodes, every node within k hops of them, and every edge between two held nodes. Node order in a
partition: owned nodes by cell id, then halo nodes by cell id.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oxygen_contracts.grid import GridSpec
from preprocessing.partition.graph import Topology, edge_features


@dataclass
class ZonePart:
    zone: int
    nodes: np.ndarray      # [N] int32 topology node indices (owned first)
    n_owned: int
    edges: np.ndarray      # [E] int64 positions in the topology's edge arrays
    edge_index: np.ndarray  # [2, E] int32 local indices (source, target)
    edge_attr: np.ndarray | None = None  # [E, D] float32 (static: computed once per run)


def node_zones(grid: GridSpec, topo: Topology) -> np.ndarray:
    _, j, i = grid.unravel(topo.cells)
    return grid.zone_of(j, i)


def khop(topo: Topology, seeds: np.ndarray, hops: int) -> np.ndarray:
    """[N] int: hop distance of each node from ``seeds`` along in-edges (−1 beyond ``hops``)."""
    dist = np.full(topo.n_nodes, -1, np.int64)
    dist[seeds] = 0
    frontier = np.zeros(topo.n_nodes, bool)
    frontier[seeds] = True
    for h in range(1, hops + 1):
        nb = topo.src[frontier[topo.dst]]
        new = np.zeros(topo.n_nodes, bool)
        new[nb] = True
        new &= dist < 0
        dist[new] = h
        frontier = new
        if not new.any():
            break
    return dist


def zone_parts(grid: GridSpec, topo: Topology, hops: int) -> list[ZonePart]:
    """One :class:`ZonePart` per zone that owns at least one ocean node, in zone order."""
    zones = node_zones(grid, topo)
    parts = []
    for z in range(grid.n_zones):
        owned = np.flatnonzero(zones == z)
        if len(owned) == 0:
            continue
        dist = khop(topo, owned, hops)
        halo = np.flatnonzero(dist > 0)
        nodes = np.concatenate([owned, halo])
        local = np.full(topo.n_nodes, -1, np.int64)
        local[nodes] = np.arange(len(nodes))
        keep = np.flatnonzero((local[topo.src] >= 0) & (local[topo.dst] >= 0))
        ei = np.stack([local[topo.src[keep]], local[topo.dst[keep]]]).astype(np.int32)
        attr = edge_features(grid, topo.cells[topo.src[keep]], topo.cells[topo.dst[keep]], topo.etype[keep])
        parts.append(ZonePart(z, nodes.astype(np.int32), len(owned), keep, ei, attr))
    return parts
