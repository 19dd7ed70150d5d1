"""The realism report (summary.json ``realism``, printed by synth) on the tiny ocean, and the numerical-model run."""
import json

import netCDF4
import numpy as np

from preprocessing.synthetic.realism import BANDS, format_report


def test_tiny_realism_report_is_produced_and_in_its_bands(tiny):
    _, s = tiny
    r = s["realism"]
    assert set(r["bands"]) == set(BANDS)
    for key in ("tree_rmse", "tree_r2", "global_mean_o2"):              # what a 21-year 10° ocean can show
        assert r["bands"][key]["in_band"], (key, r["bands"][key])
    for key in ("inventory_change_pct", "omz30_growth"):                 # 1995-2015: 1960/1920s not simulated
        assert r["bands"][key]["value"] is None and r["bands"][key]["in_band"] is None
    assert r["tree"]["n_train"] > 1000 and r["tree"]["n_test"] > 200
    v = r["anomaly"]["variance"]
    assert 0.01 < v["of_total"] < 0.2 and 0.3 < v["of_temporal"] <= 1.0
    text = format_report(r)
    for label, *_ in BANDS.values():
        assert label in text
    assert json.loads(json.dumps(r)) == r                                 # plain JSON


def test_model_run_is_on_the_truth_grid_and_biased_but_not_absurd(tiny):
    root, _ = tiny
    with netCDF4.Dataset(root / "truth.nc") as t, netCDF4.Dataset(root / "model_run.nc") as m:
        for name in ("time", "depth", "lat", "lon"):
            np.testing.assert_array_equal(t[name][:], m[name][:])
        truth = np.asarray(t["o2"][:], np.float64)
        model = np.asarray(m["o2"][:], np.float64)
        assert set(m.variables) == {"time", "depth", "lat", "lon", "o2"}
    assert np.array_equal(np.isfinite(truth), np.isfinite(model))
    ok = np.isfinite(truth)
    rmse = np.sqrt(np.mean((model[ok] - truth[ok]) ** 2))
    assert 8.0 < rmse < 60.0, rmse
    r = np.corrcoef(model[ok], truth[ok])[0, 1]
    assert 0.8 < r < 0.995, r                                              # the same physics, not the truth
