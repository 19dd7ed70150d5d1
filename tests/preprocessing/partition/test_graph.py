"""Topology, edge features and halos on a hand-built 3 x 6 x 12 grid with a land block."""
import numpy as np
import pytest

from oxygen_contracts.grid import GridSpec
from preprocessing.partition.graph import EARTH_RADIUS_KM, build_topology, edge_features
from preprocessing.partition.halo import node_zones, zone_parts
from tests.fixtures import toy


@pytest.fixture(scope="module")
def case():
    g = GridSpec(resolution_deg=30.0, depth_levels=(0.0, 100.0, 500.0), year_start=2000, year_end=2001,
                 zones_lon=2, zones_lat=2)
    ocean = toy.block_ocean(g, land_cols=[(2, 3), (2, 4), (3, 3), (3, 4)], shelf_cols=[(0, 0)])
    return g, ocean, build_topology(g, ocean)


def expected_edges(g, ocean):
    out = set()
    for k in range(g.nlev):
        for j in range(g.nlat):
            for i in range(g.nlon):
                if not ocean[k, j, i]:
                    continue
                for kk, jj, ii in ((k, j, (i + 1) % g.nlon), (k, j, (i - 1) % g.nlon), (k, j + 1, i),
                                   (k, j - 1, i), (k + 1, j, i), (k - 1, j, i)):
                    if 0 <= kk < g.nlev and 0 <= jj < g.nlat and ocean[kk, jj, ii]:
                        out.add((int(g.cell_id(kk, jj, ii)), int(g.cell_id(k, j, i))))
    return out


def edge_set(topo):
    return set(zip(topo.cells[topo.src].tolist(), topo.cells[topo.dst].tolist()))


def test_edges_exact_wrap_and_no_land(case):
    g, ocean, topo = case
    assert np.array_equal(topo.cells, np.flatnonzero(ocean.ravel()))
    got = edge_set(topo)
    assert got == expected_edges(g, ocean)
    assert len(got) == len(topo.src)  # no duplicates
    # longitude wraps: (0, 1, 11) <-> (0, 1, 0)
    assert (int(g.cell_id(0, 1, 11)), int(g.cell_id(0, 1, 0))) in got
    # latitude does not wrap
    assert (int(g.cell_id(0, 0, 5)), int(g.cell_id(0, 5, 5))) not in got
    land = set(np.flatnonzero(~ocean.ravel()).tolist())
    assert not any(a in land or b in land for a, b in got)
    # in-edges contiguous: sorted by (dst, src)
    assert np.all(np.diff(topo.dst.astype(np.int64) * 10**6 + topo.src) > 0)


def test_edge_features(case):
    g, _, _ = case
    c = lambda k, j, i: int(g.cell_id(k, j, i))  # noqa: E731
    src = [c(0, 1, 11), c(0, 1, 2), c(0, 2, 2), c(1, 2, 2)]
    dst = [c(0, 1, 0), c(0, 2, 2), c(0, 1, 2), c(2, 2, 2)]
    f = edge_features(g, np.array(src), np.array(dst), np.array([0, 0, 0, 1]))
    step = EARTH_RADIUS_KM * np.radians(30.0)
    lat = np.radians(-45.0)  # row j=1 centre
    zonal = 2 * EARTH_RADIUS_KM * np.arcsin(abs(np.cos(lat) * np.sin(np.radians(15.0))))
    np.testing.assert_allclose(f[0], [zonal / step, 0, 1, 0, 1, 0, 0], rtol=1e-5, atol=1e-6)  # east, across wrap
    np.testing.assert_allclose(f[1], [1, 0, 0, 1, 1, 0, 0], rtol=1e-5, atol=1e-6)              # north
    np.testing.assert_allclose(f[2], [1, 0, 0, -1, 1, 0, 0], rtol=1e-5, atol=1e-6)             # south
    np.testing.assert_allclose(f[3], [0, 1, 0, 0, 0, 1, 0], rtol=1e-5, atol=1e-6)              # down 100->500 m / 400


def bfs(edges, seeds, k):
    into = {}
    for s, d in edges:
        into.setdefault(d, set()).add(s)
    seen, frontier = set(seeds), set(seeds)
    for _ in range(k):
        frontier = {s for d in frontier for s in into.get(d, ())} - seen
        seen |= frontier
    return seen


@pytest.mark.parametrize("hops", [0, 1, 2])
def test_halo_is_exactly_k_hops(case, hops):
    g, _, topo = case
    edges = edge_set(topo)
    parts = zone_parts(g, topo, hops)
    zones = node_zones(g, topo)
    assert [p.zone for p in parts] == list(range(4))
    assert sum(p.n_owned for p in parts) == topo.n_nodes
    for p in parts:
        cells = topo.cells[p.nodes]
        owned = set(topo.cells[zones == p.zone].tolist())
        assert set(cells[: p.n_owned].tolist()) == owned
        assert set(cells.tolist()) == bfs(edges, owned, hops)
        local = set(zip(cells[p.edge_index[0]].tolist(), cells[p.edge_index[1]].tolist()))
        held = set(cells.tolist())
        assert local == {(s, d) for s, d in edges if s in held and d in held}


def test_hub_edges_same_level_within_radius(case):
    from preprocessing.partition.graph import HUB, great_circle_km, hub_edges

    g, _, topo = case
    k, j, i = g.unravel(topo.cells)
    observed = np.zeros(topo.n_nodes, bool)
    observed[np.flatnonzero(k == 0)[:3]] = True
    s, d, t = hub_edges(g, topo, observed, radius_km=4000.0, max_per_node=2)
    assert len(s) > 0 and np.all(t == HUB)
    assert observed[s].all() and not observed[d].any()
    assert np.all(k[s] == k[d])
    dist = great_circle_km(g.lat[j[s]], g.lon[i[s]], g.lat[j[d]], g.lon[i[d]])
    assert np.all(dist <= 4000.0 + 1e-6)
    assert np.bincount(d, minlength=topo.n_nodes).max() <= 2
    both = topo.with_edges(s, d, t)
    assert len(both.src) == len(topo.src) + len(s)
    assert np.all(np.diff(both.dst.astype(np.int64) * 10**6 + both.src) >= 0)
