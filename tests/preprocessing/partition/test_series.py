"""Binning and per-node observation arrays (series, y, folds, nutrients), exactly."""
import numpy as np
import pyarrow as pa

from oxygen_contracts.grid import GridSpec
from preprocessing.partition.binning import bin_year
from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.folds import assign_folds
from preprocessing.partition.writer import node_observations
from tests.fixtures import toy

G = GridSpec(resolution_deg=30.0, depth_levels=(0.0, 100.0, 500.0), year_start=2000, year_end=2010,
             zones_lon=2, zones_lat=2)
OCEAN = toy.block_ocean(G, land_cols=[(2, 3)])


def rows(store, year, pts):
    """pts: (lat, lon, depth, o2, po4, no3)."""
    t = toy.store_table(G, OCEAN, year, len(pts))
    a = np.array(pts, float)
    for n, c in enumerate(["lat", "lon", "depth", "oxygen", "phosphate", "nitrate"]):
        typ = pa.float64() if c in ("lat", "lon") else pa.float32()
        t = t.set_column(t.schema.get_field_index(c), c, pa.array(a[:, n].astype(typ.to_pandas_dtype()), typ))
    toy.write_store_year(store, t, year)


def test_binning_and_series(tmp_path):
    store = tmp_path / "store"
    A = int(G.cell_id(1, 1, 2))      # lat -45, lon -105, 100 m
    B = int(G.cell_id(0, 4, 7))
    rows(store, 2005, [(-44, -104, 110, 200, 1.0, np.nan), (-46, -106, 90, 210, np.nan, 15),
                       (-45, -105, 95, 190, 2.0, np.nan),
                       (40, 45, 0, 300, np.nan, np.nan),
                       (-15, -75, 0, 999, 5, 5),           # land column (2, 3): dropped
                       (0, 0, 9000, 999, 5, 5)])           # below the grid: dropped
    rows(store, 2002, [(-45, -105, 100, 150, np.nan, np.nan)])
    rows(store, 2009, [(-45, -105, 100, 170, np.nan, np.nan), (-45, -105, 100, np.nan, 3.0, np.nan)])
    rows(store, 2004, [(-45, -105, 100, np.nan, 1.5, 20)])  # nutrients only
    b5 = bin_year(store, 2005, G, OCEAN, batch_rows=2)
    assert b5.n_rows == 6 and b5.n_used == 4
    assert b5.cell.tolist() == sorted([A, B])
    ia = b5.cell.tolist().index(A)
    assert b5.o2[ia] == 200 and b5.o2_count[ia] == 3
    np.testing.assert_allclose(b5.o2_std[ia], np.std([200, 210, 190]), rtol=1e-6)
    assert b5.po4[ia] == 1.5 and b5.no3[ia] == 15

    binned = {y: bin_year(store, y, G, OCEAN) for y in range(2000, 2011)}
    cfg = PartitionConfig(zones_lon=2, zones_lat=2)
    cells = np.array([A, B, int(G.cell_id(2, 0, 0))])
    o = node_observations(G, cfg, cells, 2005, binned)
    s = o["series"][0]
    assert np.isnan(s[5]) and not o["series_mask"][0, 5] and o["series_fold"][0, 5] == -1  # centre masked
    assert s[2] == 150 and s[9] == 170                     # t-3 = 2002, t+4 = 2009
    assert o["series_mask"][0].sum() == 2                   # 2004 has nutrients only: no DO step
    f = lambda y: int(assign_folds(G, [A], y, 5, "spatial_block_year")[0])  # noqa: E731
    assert o["series_fold"][0, 2] == f(2002) and o["series_fold"][0, 9] == f(2009)
    assert o["series_fold"][0, 1] == -1
    assert o["y"][0] == 200 and o["y_count"][0] == 3 and o["fold"][0] == f(2005)
    assert o["nutrients_fold"][0] == f(2005)
    assert np.isnan(o["y"][2]) and o["fold"][2] == -1 and o["y_count"][2] == 0 and not o["series_mask"][2].any()
    assert np.isnan(o["nutrients"][1]).all() and o["nutrients_fold"][1] == -1
    o4 = node_observations(G, cfg, cells, 2004, binned)      # nutrients without DO
    assert np.isnan(o4["y"][0]) and o4["fold"][0] == -1 and o4["nutrients_fold"][0] == f(2004)
    assert o4["nutrients"][0].tolist() == [1.5, 20.0]
    assert o4["series"][0, 6] == 200                        # t+1 = 2005
