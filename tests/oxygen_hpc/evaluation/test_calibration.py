"""Calibration metrics against what they must give on forecasts whose honesty is known by construction."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from oxygen_hpc.evaluation.calibration import (coverage, crps_gaussian, crps_members, fit_spread_scale,
                                               spread_metrics)


def _draws(n=40_000, true_sd=3.0, seed=0):
    rng = np.random.default_rng(seed)
    mean = rng.normal(150, 30, n)
    return mean, mean + rng.normal(0, true_sd, n)


def test_honest_spread_covers_ninety_percent_and_overconfident_does_not():
    mean, t = _draws()
    assert coverage(mean, np.full_like(mean, 3.0), t) == pytest.approx(0.90, abs=0.01)
    half = norm.ppf(0.95) * 1.5 / 3.0                                           # the interval in true σ
    assert coverage(mean, np.full_like(mean, 1.5), t) == pytest.approx(2 * norm.cdf(half) - 1, abs=0.01)
    assert coverage(mean, np.full_like(mean, 1.5), t, scale=2.0) == pytest.approx(0.90, abs=0.01)


def test_fitted_scale_recovers_the_missing_factor():
    mean, t = _draws(true_sd=6.0)
    s = fit_spread_scale(mean, np.full_like(mean, 2.0), t)
    assert s == pytest.approx(3.0, rel=0.03)
    with pytest.raises(ValueError):
        fit_spread_scale(mean, np.zeros_like(mean), t)


def test_crps_closed_form_and_limits():
    # CRPS of N(0, σ²) at its mean is σ(√2 − 1)/√π
    assert crps_gaussian([0.0], [2.0], [0.0]) == pytest.approx(2.0 * (np.sqrt(2) - 1) / np.sqrt(np.pi), rel=1e-6)
    assert crps_gaussian([0.0], [0.0], [3.0]) == pytest.approx(3.0, rel=1e-6)   # no spread: absolute error
    mean, t = _draws()
    honest, over = crps_gaussian(mean, np.full_like(mean, 3.0), t), crps_gaussian(mean, np.full_like(mean, 0.5), t)
    assert honest < over                                                         # proper: honesty pays
    members = mean[:, None] + np.random.default_rng(1).normal(0, 3.0, (len(mean), 8))
    assert crps_members(members, t) == pytest.approx(honest, rel=0.05)


def test_nan_pairs_are_left_out():
    m = spread_metrics([1.0, np.nan, 3.0], [1.0, 1.0, np.nan], [1.0, 2.0, 3.0])
    assert m["coverage90"] == 1.0 and m["mean_std"] == 1.0
