"""Fold schemes: deterministic, in range, consistent within their unit (block x year, zone x year)."""
import numpy as np

from oxygen_contracts.grid import GridSpec
from preprocessing.partition.folds import assign_folds, block_of, stable_hash

G = GridSpec(resolution_deg=5.0, depth_levels=(0.0, 100.0), year_start=2000, year_end=2010)
CELLS = np.arange(G.ncells)


def test_hash_is_stable_and_seeded():
    a = stable_hash(3, np.arange(1000), 7)
    assert np.array_equal(a, stable_hash(3, np.arange(1000), 7))
    assert not np.array_equal(a, stable_hash(4, np.arange(1000), 7))
    assert len(np.unique(a)) == 1000
    # fixed value: the same on every machine/process (SplitMix64, not Python hash())
    assert int(stable_hash(0, 1)[()]) == int(stable_hash(0, np.array([1]))[0])


def test_spatial_block_year_consistent():
    f = assign_folds(G, CELLS, 2005, 5, "spatial_block_year", seed=1, block_deg=20.0)
    assert f.dtype == np.int8 and f.min() >= 0 and f.max() < 5
    assert np.array_equal(f, assign_folds(G, CELLS, 2005, 5, "spatial_block_year", seed=1, block_deg=20.0))
    bi, bj = block_of(G, CELLS, 20.0)
    key = bi * 100 + bj
    for b in np.unique(key):
        assert len(np.unique(f[key == b])) == 1          # one fold per block (all levels)
    assert len(np.unique(key)) == 18 * 9
    f2 = assign_folds(G, CELLS, 2006, 5, "spatial_block_year", seed=1, block_deg=20.0)
    assert not np.array_equal(f, f2)                     # blocks change fold with the year
    counts = np.bincount(f[np.unique(key, return_index=True)[1]], minlength=5)
    assert counts.min() > 10                             # every fold used


def test_year_zone_and_random_cell():
    _, j, i = G.unravel(CELLS)
    z = G.zone_of(j, i)
    f = assign_folds(G, CELLS, 2001, 4, "year_zone", seed=0)
    for zz in range(G.n_zones):
        assert len(np.unique(f[z == zz])) == 1
    r = assign_folds(G, CELLS, 2001, 4, "random_cell", seed=0)
    assert np.array_equal(r, assign_folds(G, CELLS, 2001, 4, "random_cell", seed=0))
    share = np.bincount(r, minlength=4) / len(r)
    assert np.all(np.abs(share - 0.25) < 0.02)
    years = np.array([2000, 2001])
    assert assign_folds(G, CELLS[:2], years, 4, "random_cell").shape == (2,)
