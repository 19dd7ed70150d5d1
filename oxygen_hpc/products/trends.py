"""Linear trends per decade with uncertainty.

Ordinary least squares of a yearly series ``y = a + b·year``: slope ``b = Sxy/Sxx``, residual variance
``s² = Σ r² / (n − 2)``, standard error ``SE(b) = sqrt(s² / Sxx)`` (as ``scipy.stats.linregress``), two-sided
95 % confidence interval ``b ± t(0.975, n − 2)·SE(b)``, p-value of ``b = 0``. Reported per decade (×10) in the
series' units and in % of the series mean per decade. Residuals are treated as independent (no correction for
autocorrelation, which would widen the interval). Non-finite values are dropped; fewer than 3 points give NaN
uncertainty (fewer than 2, NaN slope).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass
class Trend:
    n: int
    mean: float
    slope_per_decade: float
    se_per_decade: float
    ci95_low: float
    ci95_high: float
    p_value: float
    pct_per_decade: float
    pct_se_per_decade: float
    pct_ci95_low: float
    pct_ci95_high: float
    intercept: float          # value of the fit at year 0 (for drawing the line: intercept + slope/10 · year)

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self, years) -> np.ndarray:
        return self.intercept + self.slope_per_decade / 10.0 * np.asarray(years, float)


def ols_trend(years, values) -> Trend:
    x = np.asarray(years, float)
    y = np.asarray(values, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    nan = float("nan")
    mean = float(y.mean()) if n else nan
    if n < 2 or np.ptp(x) == 0:
        return Trend(n, mean, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    xm = x.mean()
    sxx = float(np.sum((x - xm) ** 2))
    b = float(np.sum((x - xm) * (y - mean)) / sxx)
    a = mean - b * xm
    if n > 2:
        resid = y - (a + b * x)
        se = math.sqrt(float(np.sum(resid ** 2)) / (n - 2) / sxx)
        tq = float(stats.t.ppf(0.975, n - 2))
        if se > 0:
            p = float(2 * stats.t.sf(abs(b) / se, n - 2))
        else:
            p = 0.0 if b != 0 else 1.0
    else:
        se, tq, p = nan, nan, nan
    s, e = 10.0 * b, 10.0 * se
    lo, hi = s - tq * e, s + tq * e
    pct = (lambda v: 100.0 * v / mean) if mean != 0 else (lambda v: nan)
    plo, phi = sorted((pct(lo), pct(hi))) if mean != 0 else (nan, nan)
    return Trend(n, mean, s, e, lo, hi, p, pct(s), abs(pct(e)) if mean != 0 else nan, plo, phi, a)


def trend_rows(years, series: dict[str, tuple[dict, np.ndarray]]) -> list[dict]:
    """One row per named series: ``series[name] = (labels, values)``; labels (e.g. region, threshold, units)
    are copied into the row before the trend fields."""
    rows = []
    for name, (labels, values) in series.items():
        rows.append({"series": name, **labels, **ols_trend(years, values).as_dict()})
    return rows
