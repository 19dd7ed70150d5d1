"""Faults injected into the oxygen values of one year's casts, disjoint per value and recorded exactly.

Codes in ``level["fault"]``: 0 none, 1 bad_flag (plausible value, the source's bad flag), 2 outlier out of
0–600 µmol/kg, 3 outlier > 120 % saturation below 200 m (written at 130–150 % of solubility, depth >= 250 m,
< 600), 4 missing (the format's fill value at a level whose other variables exist).
Duplicates: a share of cruise/Argo oxygen casts is copied into WOD (same levels and values, position moved
< 0.005°, time < 20 min); originals and copies never carry another fault.
"""
from __future__ import annotations

import numpy as np

from preprocessing.synthetic.config import FaultConfig
from preprocessing.synthetic.sampling import ARGO, WOD, YearCasts

NONE, BAD_FLAG, OUTLIER_RANGE, OUTLIER_SUPERSAT, MISSING = 0, 1, 2, 3, 4


def add_duplicates(yc: YearCasts, rng, rate: float) -> None:
    c, lv = yc.cast, yc.level
    n = len(c["lat"])
    c["dup_role"] = np.zeros(n, np.int8)
    cand = np.nonzero((c["src"] != WOD) & c["has_o2"])[0]
    pick = np.sort(cand[rng.random(len(cand)) < rate]) if rate > 0 else cand[:0]
    if len(pick) == 0:
        return
    new = {k: v[pick].copy() for k, v in c.items()}
    k = len(pick)
    new["src"][:] = WOD
    new["lat"] = np.round(new["lat"] + rng.uniform(-0.005, 0.005, k), 4)
    new["lon"] = np.round(new["lon"] + rng.uniform(-0.005, 0.005, k), 4)
    new["time"] = new["time"] + rng.integers(-1200, 1200, k).astype("timedelta64[s]")
    new["cruise"][:] = 0
    new["station"] = 900000 + np.arange(k)
    new["dup_of"] = pick.astype(np.int64)
    new["dup_role"][:] = 2
    c["dup_role"][pick] = 1
    remap = np.full(n, -1, np.int64)
    remap[pick] = n + np.arange(k)
    rows = np.nonzero(remap[lv["cast"]] >= 0)[0]
    for key, v in c.items():
        c[key] = np.concatenate([v, new[key]])
    for key, v in lv.items():
        add = v[rows].copy()
        if key == "cast":
            add = remap[v[rows]]
        lv[key] = np.concatenate([v, add])


def assign(yc: YearCasts, rng, f: FaultConfig, eligible_cast: np.ndarray) -> None:
    """Draw one fault per eligible oxygen value and modify ``level['oxygen']`` accordingly."""
    c, lv = yc.cast, yc.level
    ok = eligible_cast[lv["cast"]] & c["has_o2"][lv["cast"]]
    if "dup_role" in c:
        ok &= c["dup_role"][lv["cast"]] == 0
    u = rng.random(len(ok))
    code = np.zeros(len(ok), np.int8)
    code[u < f.bad_flag_rate + f.outlier_rate + f.missing_rate] = MISSING
    code[u < f.bad_flag_rate + f.outlier_rate] = OUTLIER_RANGE
    code[u < f.bad_flag_rate] = BAD_FLAG
    code[~ok] = NONE
    deep = lv["depth"] >= 250.0
    sup = (code == OUTLIER_RANGE) & deep & (rng.random(len(ok)) < 0.5)
    code[sup] = OUTLIER_SUPERSAT
    o2 = lv["oxygen"]
    m = code == OUTLIER_RANGE
    hi = rng.random(m.sum()) < 0.5
    o2[m] = np.round(np.where(hi, rng.uniform(650, 950, m.sum()), rng.uniform(-40, -2, m.sum())), 1)
    o2[sup] = np.round(np.minimum(lv["solubility"][sup] * rng.uniform(1.3, 1.5, sup.sum()), 595.0), 1)
    o2[code == MISSING] = np.nan
    lv["fault"] = code


def eligible_casts(yc: YearCasts, mll_file: bool, wod_truncated: bool) -> np.ndarray:
    """Casts whose oxygen may carry a value fault: not in an ml/l or truncated WOD file."""
    src = yc.cast["src"]
    ok = np.ones(len(src), bool)
    if mll_file or wod_truncated:
        ok &= src != WOD
    return ok


__all__ = ["add_duplicates", "assign", "eligible_casts", "ARGO"]
