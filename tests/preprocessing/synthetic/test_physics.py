"""Summary ranges: the demo physics with its variability (checked on a few years of the demo grid) and the tiny
build."""
import numpy as np

from oxygen_contracts.config import load
from preprocessing.synthetic import bathymetry
from preprocessing.synthetic.config import SynthConfig
from preprocessing.synthetic.ocean import Ocean
from preprocessing.synthetic.summary import Summary

from .conftest import REPO


def _decade(s, d, step=3):
    return np.mean([s.omz30[str(y)] for y in range(d, d + 10, step)])


def test_demo_physics_ranges_for_two_seeds():
    cfg = load(REPO / "configs" / "synthetic" / "demo.yaml", SynthConfig)
    b = bathymetry.build(cfg.grid)
    assert 0.55 < b.column.mean() < 0.8
    assert 3500 < np.nanmedian(b.bottom) < 5600
    for seed in (0, 13):
        oc = Ocean(cfg.grid, cfg.physics, seed, cfg.variability)
        s = Summary(cfg.grid, b)
        years = [1920, 1923, 1926, 1929, 1960, 2010, 2013, 2016, 2019]
        for y in years:
            f = oc.grid_fields(y, b.mask)
            s.add_truth(y, f["oxygen"])
            deep = (cfg.grid.depth >= 200)[:, None, None] & b.mask
            assert np.nanmax((f["oxygen"] / f["solubility"])[deep]) < 1.2
            assert np.nanmin(f["oxygen"]) > 0 and np.nanmax(f["oxygen"]) < 600
        mean = s.o2v / s.v
        assert 160 < mean < 180
        change = s.inventory["2010"] / s.inventory["1960"] - 1
        assert -0.035 < change < -0.01
        ratio = _decade(s, 2010) / _decade(s, 1920)
        assert 1.8 <= ratio <= 3.5                       # the realism band (docs/osse.md)


def test_tiny_summary_ranges(tiny):
    _, s = tiny
    inv = s["inventory_mol"]
    assert inv["2015"] < inv["1995"]
    assert 140 < s["global_mean_o2"] < 190
    assert 0 < s["observed_cell_fraction"] < 0.2
    assert all(v > 0 for v in s["omz30_area_km2"].values())
    assert set(s["observations"]) == {"wod", "cchdo", "argo", "glodap", "geotraces"}
    assert all(v > 0 for v in s["observations"].values())
    assert all(v > 0 for v in s["files"].values())
