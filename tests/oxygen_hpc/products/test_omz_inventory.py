"""OMZ area/volume and inventory on a small hand-built grid (values computed by hand in the test)."""
from __future__ import annotations

import numpy as np

from oxygen_hpc.products.config import ProductsConfig
from oxygen_hpc.products.inventory import cell_volume_m3, column_area_m2, depth_edges
from oxygen_hpc.products.omz import omz_area_km2, omz_volume_km3
from oxygen_hpc.products.pipeline import compute

R = 6371e3
LAT = np.array([-30.0, -10.0, 10.0, 30.0])             # 20° bands, edges -40 … 40
LON = np.array([-150.0, -90.0, -30.0, 30.0, 90.0, 150.0])  # 60° bands
DEPTH = np.array([0.0, 100.0, 300.0])                   # layers 0–50, 50–200, 200–400 m
THICK = [50.0, 150.0, 200.0]


def band_area(j):  # hand formula per latitude band
    s = np.sin(np.deg2rad([-40, -20, 0, 20, 40]))
    return R ** 2 * np.deg2rad(60.0) * (s[j + 1] - s[j])


def field():
    o2 = np.full((3, 4, 6), 200.0)
    o2[:, 0, 0] = np.nan          # land column
    o2[2, 3, 5] = np.nan          # below the bottom
    o2[1, 1, 2] = 10.0            # < 20
    o2[2, 1, 2] = 25.0            # < 30, same column
    o2[0, 2, 4] = 50.0            # < 60
    return o2


def test_geometry_by_hand():
    area = column_area_m2(LAT, LON)
    for j in range(4):
        np.testing.assert_allclose(area[j], band_area(j), rtol=1e-12)
    np.testing.assert_allclose(depth_edges(DEPTH), [0, 50, 200, 400])
    ocean = np.isfinite(field())
    vol = cell_volume_m3(DEPTH, area, ocean)
    assert vol[1, 1, 2] == np.float64(band_area(1) * 150.0)
    assert vol[2, 3, 5] == 0.0 and vol[0, 0, 0] == 0.0
    # cut at a bottom of 250 m: the last layer keeps 50 m of its 200
    cut = cell_volume_m3(DEPTH, area, ocean, bottom=np.full((4, 6), 250.0))
    np.testing.assert_allclose(cut[:, 1, 1], np.array([50, 150, 50]) * band_area(1), rtol=1e-12)
    # an ocean cell wholly below a (shallower) bottom keeps its full layer, as the synthetic bathymetry does
    shallow = cell_volume_m3(DEPTH, area, ocean, bottom=np.full((4, 6), 120.0))
    np.testing.assert_allclose(shallow[:, 1, 1], np.array([50, 70, 200]) * band_area(1), rtol=1e-12)


def test_omz_area_volume_exact():
    o2 = field()
    ocean = np.isfinite(o2)
    area = column_area_m2(LAT, LON)
    vol = cell_volume_m3(DEPTH, area, ocean)
    a1, a2 = band_area(1), band_area(2)
    assert np.isclose(omz_area_km2(o2, ocean, area, 20), a1 / 1e6, rtol=1e-12)
    assert np.isclose(omz_area_km2(o2, ocean, area, 30), a1 / 1e6, rtol=1e-12)   # one column, counted once
    assert np.isclose(omz_area_km2(o2, ocean, area, 60), (a1 + a2) / 1e6, rtol=1e-12)
    assert np.isclose(omz_volume_km3(o2, ocean, vol, 20), a1 * 150 / 1e9, rtol=1e-12)
    assert np.isclose(omz_volume_km3(o2, ocean, vol, 30), a1 * 350 / 1e9, rtol=1e-12)
    assert np.isclose(omz_volume_km3(o2, ocean, vol, 60), (a1 * 350 + a2 * 50) / 1e9, rtol=1e-12)
    assert omz_area_km2(o2, ocean, area, 5) == 0.0
    # a column mask restricts to its columns
    cols = np.zeros((4, 6), bool)
    cols[2, 4] = True
    assert np.isclose(omz_area_km2(o2, ocean, area, 60, cols), a2 / 1e6, rtol=1e-12)


def test_inventory_exact_through_pipeline(tmp_path, write_recon):
    o2 = field()
    write_recon(tmp_path / "year=2000.nc", 2000, DEPTH, LAT, LON, o2)
    prod = compute(ProductsConfig(input=str(tmp_path / "year=2000.nc"), maps=False))
    total = 0.0
    for k in range(3):
        for j in range(4):
            for i in range(6):
                if np.isfinite(o2[k, j, i]):
                    total += o2[k, j, i] * 1e-6 * 1025.0 * band_area(j) * THICK[k]
    g = prod.regions.index("global")
    assert np.isclose(prod.inventory[0, g], total, rtol=1e-6)   # o2 stored as float32
    t = prod.thresholds.index(30.0)
    assert np.isclose(prod.omz_area[0, t, g], band_area(1) / 1e6, rtol=1e-12)
    assert np.isclose(prod.omz_volume[0, t, g], band_area(1) * 350 / 1e9, rtol=1e-12)
    # basins partition the globe: every extensive quantity sums to the global value
    b = [r for r in prod.regions if r != "global"]
    idx = [prod.regions.index(r) for r in b]
    assert np.isclose(prod.inventory[0, idx].sum(), prod.inventory[0, g], rtol=1e-12)
    np.testing.assert_allclose(prod.omz_area[0][:, idx].sum(axis=1), prod.omz_area[0, :, g], rtol=1e-12)
    np.testing.assert_allclose(prod.omz_volume[0][:, idx].sum(axis=1), prod.omz_volume[0, :, g], rtol=1e-12)
