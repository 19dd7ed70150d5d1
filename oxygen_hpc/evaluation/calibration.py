"""Is a predicted spread honest? Coverage of central intervals and CRPS (``scoringrules``), and a spread scale fitted
on the validation fold only.

A method gives, per node, a mean and a standard deviation (an ensemble's spread, or a kriging variance). Intervals
are Gaussian, ``mean ± z·s·std`` with ``z`` the normal quantile of the level; ``s`` is 1 for the raw spread and the
fitted scale once calibrated. CRPS (µmol/kg) is the Gaussian closed form; for a raw ensemble the ensemble form
(``crps_ensemble``, members as given) is reported beside it.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm

COVERAGE_LEVEL = 0.90


def _finite(*arrays) -> tuple[np.ndarray, ...]:
    arrs = [np.asarray(a, dtype=np.float64) for a in arrays]
    ok = np.logical_and.reduce([np.isfinite(a) if a.ndim == 1 else np.isfinite(a).all(-1) for a in arrs])
    return tuple(a[ok] for a in arrs)


def coverage(mean, std, target, level: float = COVERAGE_LEVEL, scale: float = 1.0) -> float:
    """Share of targets inside the central ``level`` interval ``mean ± z·scale·std``."""
    m, s, t = _finite(mean, std, target)
    if not len(t):
        return float("nan")
    z = norm.ppf(0.5 + level / 2.0)
    return float(np.mean(np.abs(t - m) <= z * scale * s))


def crps_gaussian(mean, std, target, scale: float = 1.0) -> float:
    """Mean CRPS (µmol/kg) of N(mean, (scale·std)²) forecasts; a zero spread gives the absolute error."""
    import scoringrules as sr

    m, s, t = _finite(mean, std, target)
    if not len(t):
        return float("nan")
    sig = np.maximum(scale * s, 1e-9)
    return float(np.mean(sr.crps_normal(t, m, sig)))


def crps_members(members, target) -> float:
    """Mean CRPS (µmol/kg) of an ensemble, ``members`` [n, M] (the fair, unbiased estimator for small M)."""
    import scoringrules as sr

    ens, t = np.asarray(members, np.float64), np.asarray(target, np.float64)
    ok = np.isfinite(t) & np.isfinite(ens).all(axis=1)
    if not ok.any():
        return float("nan")
    return float(np.mean(sr.crps_ensemble(t[ok], ens[ok], m_axis=-1, estimator="fair")))


def fit_spread_scale(mean, std, target, level: float = COVERAGE_LEVEL) -> float:
    """The factor ``s`` that makes the central ``level`` interval cover exactly ``level`` of ``target``:
    the ``level`` quantile of |t − mean| / (z·std). Fit it on the validation fold only."""
    m, s, t = _finite(mean, std, target)
    keep = s > 0
    if not keep.any():
        raise ValueError("no positive spread to scale")
    z = norm.ppf(0.5 + level / 2.0)
    return float(np.quantile(np.abs(t[keep] - m[keep]) / (z * s[keep]), level))


def spread_metrics(mean, std, target, level: float = COVERAGE_LEVEL, scale: float = 1.0) -> dict:
    """{coverage90, crps, mean_std} for the block of results (``scale`` applied to ``std``)."""
    m, s, t = _finite(mean, std, target)
    return {f"coverage{int(round(level * 100))}": coverage(m, s, t, level, scale),
            "crps": crps_gaussian(m, s, t, scale), "mean_std": float(np.mean(scale * s)) if len(s) else float("nan")}
