import numpy as np
import pandas as pd
import pytest

from oxygen_hpc.models.baselines import Climatology, InverseDistanceWeighting, ObjectiveMapping, TreeEnsemble

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
