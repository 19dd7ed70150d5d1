"""Graph topology of the ocean grid, computed once per run (the ocean mask is static).

Nodes are ocean cells (sorted by cell id). Edges, in both directions, only between two ocean cells:
horizontal 4-neighbours on the same level (longitude wraps, latitude does not), vertical neighbours in the same
column. Optional hub edges (per year, presence of observations only) join observed cells to unobserved cells of the
same level within a radius. Edges are ordered by (target, source) so that each node's in-edges are contiguous.

Edge features (:data:`EDGE_FEATURE_NAMES`): great-circle distance / length of one meridional cell step, depth
difference (target − source) / largest level spacing, direction (dx, dy) unit vector source → target in local
east/north (0, 0 for vertical edges), edge type one-hot (horizontal, vertical, hub).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oxygen_contracts.grid import GridSpec

EARTH_RADIUS_KM = 6371.0
EDGE_FEATURE_NAMES = ("distance", "depth_diff", "dir_x", "dir_y", "type_horizontal", "type_vertical", "type_hub")
HORIZONTAL, VERTICAL, HUB = 0, 1, 2


@dataclass
class Topology:
    cells: np.ndarray   # [N] int64 ocean cell ids, sorted
    src: np.ndarray     # [E] int32 node index (into cells)
    dst: np.ndarray     # [E] int32
    etype: np.ndarray   # [E] int8

    @property
    def n_nodes(self) -> int:
        return len(self.cells)

    def with_edges(self, src, dst, etype) -> "Topology":
        """A copy with extra edges, re-sorted by (target, source)."""
        s = np.concatenate([self.src, np.asarray(src, np.int32)])
        d = np.concatenate([self.dst, np.asarray(dst, np.int32)])
        t = np.concatenate([self.etype, np.asarray(etype, np.int8)])
        o = np.lexsort((s, d))
        return Topology(self.cells, s[o], d[o], t[o])


def build_topology(grid: GridSpec, ocean: np.ndarray) -> Topology:
    """Topology of ``ocean`` ([nlev, nlat, nlon] bool)."""
    m = np.asarray(ocean, bool)
    assert m.shape == (grid.nlev, grid.nlat, grid.nlon), m.shape
    cells = np.flatnonzero(m.ravel()).astype(np.int64)
    index = np.full(m.size, -1, np.int64)
    index[cells] = np.arange(len(cells))
    ids = np.arange(m.size, dtype=np.int64).reshape(m.shape)
    pairs, types = [], []
    if grid.nlon > 1:
        east = np.roll(ids, -1, axis=2)
        ok = m & np.roll(m, -1, axis=2)
        if grid.nlon == 2:  # the east and west neighbour are the same cell: one edge pair only
            ok[:, :, 1] = False
        pairs.append((ids[ok], east[ok])); types.append(HORIZONTAL)
    ok = m[:, :-1, :] & m[:, 1:, :]
    pairs.append((ids[:, :-1, :][ok], ids[:, 1:, :][ok])); types.append(HORIZONTAL)
    ok = m[:-1] & m[1:]
    pairs.append((ids[:-1][ok], ids[1:][ok])); types.append(VERTICAL)
    src, dst, et = [], [], []
    for (a, b), t in zip(pairs, types):
        a, b = index[a], index[b]
        src += [a, b]; dst += [b, a]; et += [np.full(2 * len(a), t, np.int8)]
    s = np.concatenate(src).astype(np.int32) if src else np.zeros(0, np.int32)
    d = np.concatenate(dst).astype(np.int32) if dst else np.zeros(0, np.int32)
    t = np.concatenate(et) if et else np.zeros(0, np.int8)
    o = np.lexsort((s, d))
    return Topology(cells, s[o], d[o], t[o])


def great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def edge_scales(grid: GridSpec) -> dict:
    """The fixed scales that normalise edge features (recorded in the manifest)."""
    d = grid.depth
    return {"distance_km": float(EARTH_RADIUS_KM * np.radians(grid.resolution_deg)),
            "depth_m": float(np.max(np.diff(d))) if d.size > 1 else 1.0}


def edge_features(grid: GridSpec, cell_src, cell_dst, etype) -> np.ndarray:
    """[E, 7] float32 features of edges given by global cell ids."""
    ks, js, is_ = grid.unravel(cell_src)
    kd, jd, id_ = grid.unravel(cell_dst)
    lat, lon, dep = grid.lat, grid.lon, grid.depth
    sc = edge_scales(grid)
    dist = great_circle_km(lat[js], lon[is_], lat[jd], lon[id_]) / sc["distance_km"]
    ddep = (dep[kd] - dep[ks]) / sc["depth_m"]
    dlon = (lon[id_] - lon[is_] + 180.0) % 360.0 - 180.0
    dx = dlon * np.cos(np.radians((lat[js] + lat[jd]) / 2))
    dy = lat[jd] - lat[js]
    norm = np.hypot(dx, dy)
    safe = np.where(norm > 0, norm, 1.0)
    et = np.asarray(etype)
    out = np.zeros((len(et), len(EDGE_FEATURE_NAMES)), np.float32)
    out[:, 0], out[:, 1] = dist, ddep
    out[:, 2], out[:, 3] = np.where(norm > 0, dx / safe, 0.0), np.where(norm > 0, dy / safe, 0.0)
    out[np.arange(len(et)), 4 + et.astype(np.int64)] = 1.0
    return out


def hub_edges(grid: GridSpec, topo: Topology, observed: np.ndarray, radius_km: float, max_per_node: int):
    """Hub edges (src observed → dst unobserved, same level, within ``radius_km``, up to ``max_per_node`` nearest).

    ``observed`` is a [N] bool over topology nodes. Returns (src, dst, etype) arrays. Ties break by cell id."""
    from sklearn.neighbors import BallTree

    k, j, i = grid.unravel(topo.cells)
    lat, lon = np.radians(grid.lat[j]), np.radians(grid.lon[i])
    src, dst = [], []
    for lev in np.unique(k):
        on = np.flatnonzero((k == lev) & observed)
        off = np.flatnonzero((k == lev) & ~observed)
        if len(on) == 0 or len(off) == 0:
            continue
        tree = BallTree(np.c_[lat[on], lon[on]], metric="haversine")
        idx, dist = tree.query_radius(np.c_[lat[off], lon[off]], r=radius_km / EARTH_RADIUS_KM,
                                      return_distance=True)
        for t, (ii, dd) in enumerate(zip(idx, dist)):
            if len(ii):
                o = np.lexsort((on[ii], np.round(dd, 12)))[:max_per_node]
                src.append(on[ii[o]]); dst.append(np.full(len(o), off[t]))
    s = np.concatenate(src).astype(np.int32) if src else np.zeros(0, np.int32)
    d = np.concatenate(dst).astype(np.int32) if dst else np.zeros(0, np.int32)
    return s, d, np.full(len(s), HUB, np.int8)
