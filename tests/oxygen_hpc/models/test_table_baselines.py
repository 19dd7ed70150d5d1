import numpy as np
import pandas as pd
import pytest

from oxygen_hpc.models.baselines import (Climatology, InverseDistanceWeighting, NumericalModel, ObjectiveMapping,
                                         RegressionKriging, TreeEnsemble)

DEPTHS = np.array([0, 50, 100, 200, 500, 1000, 2000], dtype=float)


def smooth_field(n, seed):
    """A smooth DO field of (lat, lon, depth, year) plus covariates that explain part of it."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, len(DEPTHS), n)
    t = pd.DataFrame({
        "lat": rng.uniform(-60, 60, n), "lon": rng.uniform(-180, 180, n), "depth": DEPTHS[level],
        "year": rng.integers(1990, 2000, n).astype(float), "level": level,
    })
    t["cell"] = (t["level"] * 10_000 + np.floor(t["lat"] + 90) * 360 + np.floor(t["lon"] + 180)).astype(np.int64)
    t["temperature"] = 25 * np.cos(np.radians(t["lat"])) * np.exp(-t["depth"] / 800) + rng.normal(0, 0.3, n)
    t["y"] = (250 - 5 * t["temperature"] - 60 * np.exp(-((t["depth"] - 500) / 300) ** 2)
              + 15 * np.sin(np.radians(2 * t["lon"])) - 0.8 * (t["year"] - 1995) + rng.normal(0, 2, n))
    return t


def _rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


@pytest.mark.parametrize("model", [
    InverseDistanceWeighting(), ObjectiveMapping(), TreeEnsemble(kind="hgb", max_iter=40),
    TreeEnsemble(kind="rf", max_iter=30, max_depth=12), Climatology(by="level_band"), Climatology(by="cell"),
], ids=["idw", "oi", "hgb", "rf", "clim_band", "clim_cell"])
def test_baseline_beats_global_mean_on_smooth_field(model):
    train, test = smooth_field(3000, 0), smooth_field(800, 1)
    test_no_y = test.drop(columns="y")
    pred = model.fit(train).predict(test_no_y)
    assert pred.shape == (len(test),) and np.isfinite(pred).all()
    baseline = _rmse(np.full(len(test), train["y"].mean()), test["y"].to_numpy())
    assert _rmse(pred, test["y"].to_numpy()) < 0.7 * baseline


def test_interpolators_reproduce_observations_and_ignore_unlabelled_rows():
    train = smooth_field(500, 2)
    train.loc[train.index[:50], "y"] = np.nan
    lab = train.iloc[50:]
    idw = InverseDistanceWeighting().fit(train)
    assert np.allclose(idw.predict(lab), lab["y"], atol=1e-3)
    oi = ObjectiveMapping(noise_ratio=1e-6).fit(train)
    assert np.allclose(oi.predict(lab), lab["y"], atol=0.5)


def test_climatology_falls_back_to_coarser_groups():
    train = smooth_field(400, 3)
    clim = Climatology(by="cell").fit(train)
    unseen = train.iloc[:5].copy()
    unseen["cell"] = -1
    unseen["lat"] = 89.9                         # a band with no training data → level mean
    expected = train.groupby("level")["y"].mean().reindex(unseen["level"]).to_numpy()
    assert np.allclose(clim.predict(unseen), expected)


def test_predict_before_fit_and_missing_columns_raise():
    with pytest.raises(RuntimeError):
        InverseDistanceWeighting().predict(smooth_field(5, 0))
    with pytest.raises(ValueError):
        TreeEnsemble().fit(smooth_field(50, 0).drop(columns="y"))
    with pytest.raises(ValueError):
        InverseDistanceWeighting().fit(smooth_field(50, 0).drop(columns="depth"))


def _anomaly_field(n, seed):
    """Three levels of a field whose residual from the covariates is a pattern of 80 bumps (~800 km) whose
    amplitudes change from year to year (persistent over a few years), which no covariate carries."""
    t = smooth_field(n, seed)
    t["level"] = t["level"] % 3
    t["depth"] = DEPTHS[t["level"]]
    bumps = np.random.default_rng(99).uniform([-60, -180, -25, 0], [60, 180, 25, 6.3], (80, 4))
    lat, lon = np.radians(t["lat"].to_numpy())[:, None], np.radians(t["lon"].to_numpy())[:, None]
    blat, blon = np.radians(bumps[:, 0])[None], np.radians(bumps[:, 1])[None]
    cosd = np.sin(lat) * np.sin(blat) + np.cos(lat) * np.cos(blat) * np.cos(lon - blon)
    d = 6371.0 * np.arccos(np.clip(cosd, -1, 1))
    amp = bumps[:, 2][None] * np.cos(0.5 * (t["year"].to_numpy()[:, None] - 1990) + bumps[:, 3][None])
    t["y"] += (amp * np.exp(-(d / 800.0) ** 2)).sum(1)
    return t


def test_regression_kriging_adds_the_residual_field_the_trees_miss():
    from threadpoolctl import threadpool_limits

    train, test = _anomaly_field(6000, 0), _anomaly_field(600, 1)
    with threadpool_limits(1):
        tree = TreeEnsemble(max_iter=80).fit(train).predict(test)
    rk = RegressionKriging(max_iter=80, cv=2).fit(train)
    pred = rk.predict(test.drop(columns="y"))
    assert pred.shape == (len(test),) and np.isfinite(pred).all()
    assert _rmse(pred, test["y"].to_numpy()) < 0.93 * _rmse(tree, test["y"].to_numpy())
    est = RegressionKriging(max_iter=30, cv=0).fit(train)                 # scales estimated from the residuals
    assert est.length_ > 0 and est.time_scale_ > 0 and est.var_ > 0
    unseen = test.drop(columns="y").assign(year=1960.0)                   # no residual within the window
    np.testing.assert_allclose(est.predict(unseen), est.tree.predict(unseen))


def _model_file(path, grid_lat, grid_lon, depths, years, value):
    import netCDF4

    with netCDF4.Dataset(path, "w") as ds:
        for name, vals in (("time", years), ("depth", depths), ("lat", grid_lat), ("lon", grid_lon)):
            ds.createDimension(name, len(vals))
        t = ds.createVariable("time", "f8", ("time",))
        t.units, t.calendar = "days since 1900-01-01", "standard"
        t[:] = [(np.datetime64(f"{y}-07-02") - np.datetime64("1900-01-01")).astype(float) for y in years]
        for name, vals in (("depth", depths), ("lat", grid_lat), ("lon", grid_lon)):
            ds.createVariable(name, "f8", (name,))[:] = vals
        ds.createVariable("o2", "f4", ("time", "depth", "lat", "lon"))[:] = value


def test_numerical_model_reads_its_run_and_uses_no_observation(tmp_path):
    lat, lon, depths, years = np.array([-10.0, 10.0]), np.array([-170.0, 0.0, 170.0]), DEPTHS[:3], [1990, 1991]
    y, k, j, i = np.meshgrid(np.arange(2), np.arange(3), np.arange(2), np.arange(3), indexing="ij")
    value = 100.0 + 10 * y + k + 0.1 * j + 0.01 * i
    _model_file(tmp_path / "run.nc", lat, lon, depths, years, value)
    t = pd.DataFrame({"year": [1991, 1990, 1991], "depth": [50.0, 0.0, 100.0], "lat": [10.0, -10.0, -10.0],
                      "lon": [170.0, -170.0, 0.0], "y": [np.nan, np.nan, np.nan]})
    m = NumericalModel(tmp_path / "run.nc").fit(t)                       # nothing to learn: no label is needed
    np.testing.assert_allclose(m.predict(t), [111.12, 100.0, 112.01], rtol=1e-6)
    with pytest.raises(ValueError, match="cell centres"):
        m.predict(t.assign(lat=[3.0, -10.0, -10.0]))
    with pytest.raises(ValueError, match="no year 1989"):
        m.predict(t.assign(year=[1989, 1990, 1990]))
    with pytest.raises(FileNotFoundError):
        NumericalModel(tmp_path / "missing.nc").fit(t)
