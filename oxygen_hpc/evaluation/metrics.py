"""Regression metrics in numpy (the same definitions as ``oxygen_hpc.training.metrics``): MAE, RMSE, R², MAPE.

MAPE is over targets ≥ ``mape_floor`` µmol/kg only (near-anoxic values would dominate a relative error).
"""
from __future__ import annotations

import numpy as np

from oxygen_contracts.schema import MAPE_FLOOR


def regression_metrics(pred, target, mape_floor: float = MAPE_FLOOR) -> dict:
    """{n, mae, rmse, r2, mape (%), n_mape} over pairs where both are finite."""
    p = np.asarray(pred, dtype=np.float64).ravel()
    t = np.asarray(target, dtype=np.float64).ravel()
    if p.shape != t.shape:
        raise ValueError(f"pred {p.shape} and target {t.shape} differ")
    ok = np.isfinite(t)
    n_missing = int((ok & ~np.isfinite(p)).sum())
    if n_missing:
        raise ValueError(f"{n_missing} non-finite predictions where the target is finite")
    p, t = p[ok], t[ok]
    n = int(t.size)
    if n == 0:
        return {"n": 0, "mae": float("nan"), "rmse": float("nan"), "r2": float("nan"), "mape": float("nan"),
                "n_mape": 0}
    e = p - t
    ss_tot = float(((t - t.mean()) ** 2).sum())
    big = t >= mape_floor
    return {
        "n": n,
        "mae": float(np.abs(e).mean()),
        "rmse": float(np.sqrt((e ** 2).mean())),
        "r2": float(1.0 - (e ** 2).sum() / ss_tot) if ss_tot > 0 else float("nan"),
        "mape": float(100.0 * np.mean(np.abs(e[big]) / t[big])) if big.any() else float("nan"),
        "n_mape": int(big.sum()),
    }
