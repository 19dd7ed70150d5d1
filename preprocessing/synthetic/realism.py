"""The realism report: how hard the synthetic ocean is, beside the published real-ocean figures it is calibrated to.

Stored in summary.json under ``realism`` and printed by ``oxygen-hpc synth``; ``benchmarks/osse_realism.py``
measures the same quantities on a built world (trees on the partitions' node tables, fields from truth.nc).

- ``tree``: a covariate-only gradient-boosted tree (scikit-learn ``HistGradientBoostingRegressor`` on lat, lon,
  depth, year, the *analysis* T and S of the node's cell, bottom depth) fitted on the good observations binned
  to (cell, year) nodes of the training folds and scored on the test fold against the binned observed values;
  folds ``spatial_block_year`` exactly as ``preprocessing.partition.folds`` assigns them (validation fold 0, test
  fold 1, as the OSSE benchmark). No O2 observation is an input.
- ``anomaly``: variance share, measured decorrelation length / time / depth of ``truth.nc:o2_anomaly``
  (:mod:`~preprocessing.synthetic.realism_stats`), beside the configured scales.
- global mean O2, inventory change 1960→2010, OMZ30 area 2010s / 1920s (definitions: ``summary.py``).
- ``covariates``: RMS of covariates − truth per decade, beside the configured error.

:data:`BANDS` are the calibration targets (docs/osse.md says where each number comes from).
"""
from __future__ import annotations

import numpy as np

from preprocessing.partition.folds import assign_folds

# key: (label, low, high, unit, published figure)
BANDS = {
    "tree_rmse": ("covariate-only trees, held-out RMSE", 10.0, 20.0, "umol/kg",
                  "Ito et al. 2024: RMSE 13-18 (NN + RF, decadal CV)"),
    "tree_r2": ("covariate-only trees, held-out R2", 0.88, 0.97, "",
                "Ito et al. 2024 ~0.9; BLENDR 2026 0.968; GEOXYGEN 2026 >0.9"),
    "global_mean_o2": ("global mean O2", 150.0, 190.0, "umol/kg", "Schmidtko et al. 2017: 227.4 Pmol = ~166"),
    "inventory_change_pct": ("O2 inventory change 1960-2010", -4.0, -1.0, "%",
                             "Schmidtko et al. 2017: ~-2 %; Ito et al. 2024 OI: -1.5 %"),
    "omz30_growth": ("OMZ30 area 2010s / 1920s", 1.8, 3.5, "x", "Lu et al. 2024 (OxyGenerator): x3+ 1920-2023"),
}


class NodeTable:
    """Good observations binned to (cell, year) nodes, with the analysis covariates of their cells."""

    def __init__(self):
        self.parts: list[np.ndarray] = []

    def add(self, grid, year: int, lat, lon, depth, o2, cov: dict, bottom: np.ndarray) -> None:
        k, j, i = grid.locate(lat, lon, depth)
        ok = (k >= 0) & np.isfinite(o2)
        if not ok.any():
            return
        cell = grid.cell_id(k[ok], j[ok], i[ok])
        uc, inv = np.unique(cell, return_inverse=True)
        y = np.bincount(inv, weights=np.asarray(o2)[ok]) / np.bincount(inv)
        kk, jj, ii = grid.unravel(uc)
        t, s = cov["temperature"][kk, jj, ii], cov["salinity"][kk, jj, ii]
        good = np.isfinite(t) & np.isfinite(s)
        cols = [uc, np.full(len(uc), year), grid.lat[jj], grid.lon[ii], grid.depth[kk], t, s,
                np.nan_to_num(bottom[jj, ii]), y]
        self.parts.append(np.column_stack(cols)[good])

    def tree(self, grid, cfg, seed: int = 0) -> dict:
        from sklearn.ensemble import HistGradientBoostingRegressor

        if not self.parts:
            return {"n_train": 0, "n_test": 0, "rmse": None, "r2": None}
        a = np.concatenate(self.parts)
        fold = assign_folds(grid, a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), cfg.n_folds,
                            "spatial_block_year", seed, cfg.block_deg)
        train, test = a[fold >= 2], a[fold == 1]
        if len(train) > cfg.tree_max_nodes:
            keep = np.random.default_rng([seed, 41]).choice(len(train), cfg.tree_max_nodes, replace=False)
            train = train[np.sort(keep)]
        if len(train) < 50 or len(test) < 10:
            return {"n_train": int(len(train)), "n_test": int(len(test)), "rmse": None, "r2": None}
        m = HistGradientBoostingRegressor(max_iter=cfg.tree_iterations, random_state=seed, early_stopping=False)
        m.fit(train[:, 1:8], train[:, 8])
        e = m.predict(test[:, 1:8]) - test[:, 8]
        var = float(np.var(test[:, 8]))
        return {"n_train": int(len(train)), "n_test": int(len(test)), "rmse": round(float(np.sqrt(np.mean(e ** 2))), 2),
                "r2": round(1.0 - float(np.mean(e ** 2)) / var, 4) if var > 0 else None}


def headline(summary: dict) -> dict:
    """Global mean, inventory change 1960→2010 (%), OMZ30 area 2010s / 1920s from summary.json's truth figures
    (None where the years are not simulated)."""
    inv, omz = summary["inventory_mol"], summary["omz30_area_km2"]
    change = (100.0 * (inv["2010"] / inv["1960"] - 1.0)) if "1960" in inv and "2010" in inv else None

    def decade(d):
        v = [omz[str(y)] for y in range(d, d + 10) if str(y) in omz]
        return float(np.mean(v)) if v else None

    early, late = decade(1920), decade(2010)
    growth = late / early if early and late is not None else None
    return {"global_mean_o2": summary["global_mean_o2"],
            "inventory_change_pct": None if change is None else round(change, 3),
            "omz30_growth": None if growth is None else round(growth, 3)}


def in_band(key: str, value) -> bool | None:
    if value is None:
        return None
    _, lo, hi, _, _ = BANDS[key]
    return bool(lo <= value <= hi)


def report(tree: dict, heads: dict, anomaly: dict, covariates: dict, configured: dict) -> dict:
    values = {"tree_rmse": tree.get("rmse"), "tree_r2": tree.get("r2"), **heads}
    return {"bands": {k: {"value": values.get(k), "low": b[1], "high": b[2], "in_band": in_band(k, values.get(k))}
                      for k, b in BANDS.items()},
            "tree": tree, "anomaly": {**anomaly, "configured": configured}, "covariates": covariates}


def format_report(r: dict) -> str:
    """The realism table: OSSE value beside band and published figure."""
    lines = [f"{'realism':<36} {'OSSE':>9} {'band':>13}  ok  published", "-" * 100]
    for k, (label, lo, hi, unit, pub) in BANDS.items():
        b = r["bands"][k]
        v = "n/a" if b["value"] is None else f"{b['value']:.4g}"
        ok = {True: "yes", False: "NO", None: "-"}[b["in_band"]]
        lines.append(f"{label:<36} {v:>9} {f'{lo:g}-{hi:g} {unit}':>13}  {ok:<3} {pub}")
    a, c = r["anomaly"], r["anomaly"]["configured"]
    if a["variance"] is None:
        lines.append(f"{'anomaly statistics':<36} {'n/a':>9}  (variability off, or no truth.nc written)")
    else:
        v, m = a["variance"], a["measured"]
        lines.append(f"{'anomaly share of O2 variance':<36} {v['of_total']:>9.4f}  (of the variance in time: "
                     f"{v['of_temporal']:.3f}; anomaly RMS {v['anomaly_rms']:.1f} umol/kg)")
        lines.append(f"{'anomaly decorrelation (measured)':<36} {str(m['length_km']):>9} km, {m['time_yr']} yr, "
                     f"{m['depth_m']} m  (configured {c['length_km']:g} km, {c['time_scale_yr']:g} yr, "
                     f"{c['depth_scale_m']:g} m)")
    for dec, e in list(r["covariates"].items())[:: max(1, len(r["covariates"]) // 4)]:
        lines.append(f"{'covariate error ' + dec + ' (T, S RMS)':<36} {e['temperature_rms']:>9.3f} C, "
                     f"{e['salinity_rms']:.4f}  (configured {e['temperature_configured']:.3f}, "
                     f"{e['salinity_configured']:.4f})")
    return "\n".join(lines)
