"""The headline figures of a products run, with their uncertainty (printed last by ``oxygen-hpc products``).

- **global O2 inventory change per decade**: the OLS slope of the global inventory series ± its uncertainty: the
  total standard error ``sqrt(SE_ols² + std_members(slope)²)`` with ensemble members
  (:mod:`oxygen_hpc.products.ensemble`), the OLS standard error alone without; also in % of the mean per decade;
- **OMZ volume** at 30 and 60 µmol/kg (when they are thresholds of the run) in the first and the last decade:
  the mean of the yearly global volumes over each period ± the members' spread (population std of each member's
  period mean);
- **OMZ30 area ratio** (last decade / first decade of the mean global OMZ30 area) ± the members' spread (population
  std of each member's ratio).

The two periods are those of ``benchmarks/osse_products.py`` (and of the issue's targets): the 1920s and the 2010s
when both are complete in the series, else the first and the last ``min(10, n // 2)`` years (at least one).
Without members every ``±`` of the OMZ figures reads ``n/a``.
"""
from __future__ import annotations

import math

import numpy as np

from oxygen_hpc.products.ensemble import DDOF, trend_uncertainty
from oxygen_hpc.products.trends import ols_trend

OMZ_VOLUME_THRESHOLDS = (30.0, 60.0)
RATIO_THRESHOLD = 30.0


def decade_windows(years) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Boolean masks (first period, last period) over ``years`` and their labels (``1920-1929``)."""
    years = np.asarray(years, int)
    ys = set(years.tolist())
    if all(y in ys for y in range(1920, 1930)) and all(y in ys for y in range(2010, 2020)):
        return (years >= 1920) & (years <= 1929), (years >= 2010) & (years <= 2019), "1920-1929", "2010-2019"
    w = max(1, min(10, len(years) // 2))
    early, late = np.zeros(len(years), bool), np.zeros(len(years), bool)
    early[:w], late[-w:] = True, True
    return early, late, f"{years[0]}-{years[w - 1]}", f"{years[-w]}-{years[-1]}"


def _std(values) -> float:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(np.std(v, ddof=DDOF)) if v.size else float("nan")


def _ratio(area: np.ndarray, early: np.ndarray, late: np.ndarray) -> np.ndarray:
    """Mean of ``area`` over the last period / over the first (years on the last axis); NaN where the first is 0."""
    a0, a1 = np.mean(area[..., early], axis=-1), np.mean(area[..., late], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a0 > 0, a1 / a0, np.nan)


def headline(prod) -> dict:
    """The figures of :class:`oxygen_hpc.products.pipeline.Products` ``prod`` (global region) as a dict."""
    g = prod.regions.index("global")
    years = np.asarray(prod.years, int)
    mem = prod.members
    early, late, lab0, lab1 = decade_windows(years)
    inv = prod.inventory[:, g]
    tr = ols_trend(years, inv)
    out = {"years": [int(years[0]), int(years[-1])], "n_members": mem.n if mem is not None else 0,
           "periods": [lab0, lab1], "inventory_mol_mean": tr.mean,
           "inventory_trend_mol_per_decade": tr.slope_per_decade}
    if mem is not None:
        unc = trend_uncertainty(years, inv, mem.inventory[:, :, g])
        out["inventory_trend_uncertainty"] = unc["se_total_per_decade"]
        out["inventory_trend_pct_uncertainty"] = unc["pct_se_total_per_decade"]
        out["inventory_trend_uncertainty_kind"] = "total SE (OLS and members' trends)"
    else:
        out["inventory_trend_uncertainty"] = tr.se_per_decade
        out["inventory_trend_pct_uncertainty"] = tr.pct_se_per_decade
        out["inventory_trend_uncertainty_kind"] = "OLS SE, no ensemble members"
    out["inventory_trend_pct_per_decade"] = tr.pct_per_decade
    out["omz_volume_km3"] = {}
    for t in OMZ_VOLUME_THRESHOLDS:
        if t not in prod.thresholds:
            continue
        a = prod.thresholds.index(t)
        vol = prod.omz_volume[:, a, g]
        row = {}
        for lab, m in ((lab0, early), (lab1, late)):
            sd = _std(mem.omz_volume[:, m, a, g].mean(axis=1)) if mem is not None else float("nan")
            row[lab] = [float(vol[m].mean()), sd]
        out["omz_volume_km3"][f"{t:g}"] = row
    if RATIO_THRESHOLD in prod.thresholds:
        a = prod.thresholds.index(RATIO_THRESHOLD)
        ratio = float(_ratio(prod.omz_area[:, a, g], early, late))
        sd = _std(_ratio(mem.omz_area[:, :, a, g], early, late)) if mem is not None else float("nan")
        out["omz30_area_ratio"] = [ratio, sd]
    return out


def _pm(value: float, sd: float, fmt: str = ".4g") -> str:
    return f"{value:{fmt}} ± {sd:.2g}" if math.isfinite(sd) else f"{value:{fmt}} ± n/a"


def format_headline(h: dict) -> str:
    """The printout: one line per figure."""
    lab0, lab1 = h["periods"]
    ens = (f"ensemble of {h['n_members']} members, ± = population std across members" if h["n_members"]
           else "no ensemble members (o2_member with 2 or more) in the input: OMZ figures have no spread")
    lines = [f"headline ({h['years'][0]}-{h['years'][1]}; {ens}):",
             f"  global O2 inventory change: {_pm(h['inventory_trend_mol_per_decade'], h['inventory_trend_uncertainty'])}"
             f" mol/decade ({_pm(h['inventory_trend_pct_per_decade'], h['inventory_trend_pct_uncertainty'], '+.3f')} "
             f"%/decade; ± = {h['inventory_trend_uncertainty_kind']})"]
    for t, row in h["omz_volume_km3"].items():
        lines.append(f"  OMZ{t} volume (O2 < {t} umol/kg): {lab0} {_pm(*row[lab0])} km3, {lab1} {_pm(*row[lab1])} km3")
    if "omz30_area_ratio" in h:
        r, sd = h["omz30_area_ratio"]
        lines.append(f"  OMZ30 area ratio {lab1} / {lab0}: {_pm(r, sd, '.4f')}")
    return "\n".join(lines)
