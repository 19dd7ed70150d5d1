"""Regression-kriging: a tree ensemble on the covariates plus ordinary kriging (gstools) of its residuals."""
from __future__ import annotations

import numpy as np
import pandas as pd

from oxygen_hpc.models.baselines.base import TableBaseline, labelled
from oxygen_hpc.models.baselines.tree_ensemble import TreeEnsemble


def _pos(t: pd.DataFrame) -> tuple:
    """(lat, lon, year) as float arrays (gstools needs numpy, not pandas)."""
    return tuple(t[c].to_numpy(float) for c in ("lat", "lon", "year"))


class RegressionKriging(TableBaseline):
    """ŷ = tree(covariates) + kriged tree residuals of the training observations nearby in space and time.

    ``fit``: the tree (:class:`TreeEnsemble`, gradient boosting, the ``tree_ensemble`` baseline's settings) is
    fitted on every training row; its residuals are out-of-fold (``cv`` seeded random folds, so the kriging sees
    errors the tree makes on rows it did not fit, not its smaller in-sample ones). The residuals' covariance:
    an empirical variogram (``gstools.vario_estimate`` on the sphere, km) pooled over (year, level) groups of at
    least ``min_group`` residuals (same-year pairs only), fitted by an Exponential model with nugget
    (``length_km``, variance, nugget); the decorrelation time from residuals of the same cell one year apart
    (``time_scale_yr``; both fixed when given). ``variogram_`` says whether the fit was used or why the default
    covariance (800 km, half the residual variance as nugget) was kept. ``predict``: per (year, level) of the
    query, gstools ordinary kriging with that model made spatio-temporal (``latlon`` + ``temporal``: distance
    √(d² + (Δt·L/τ)²)), conditioned on the training residuals of the same level within ± ``window_years`` (at most ``max_points``:
    the query year's first, then a seeded sample of the others), added to the tree's prediction.

    Args:
        window_years (int): neighbouring years whose residuals condition a year's kriging.
        max_points (int): conditioning residuals per (year, level) solve (cost ~ max_points³).
        length_km, time_scale_yr (float, optional): covariance scales; None = estimated at fit.
        cv (int): folds of the out-of-fold residuals (0 or 1 = in-sample residuals).
        min_group (int): smallest (year, level) group used for the variogram.
        max_iter (int), random_state (int): the tree's boosting iterations and seed.
    """

    def __init__(self, window_years: int = 1, max_points: int = 1500, length_km: float | None = None,
                 time_scale_yr: float | None = None, cv: int = 3, min_group: int = 30, max_iter: int = 300,
                 random_state: int = 0) -> None:
        self.window, self.max_points, self.cv, self.min_group = int(window_years), int(max_points), int(cv), min_group
        self.length_km, self.time_scale_yr = length_km, time_scale_yr
        self.max_iter, self.random_state = max_iter, random_state

    def _tree(self) -> TreeEnsemble:
        return TreeEnsemble(kind="hgb", max_iter=self.max_iter, random_state=self.random_state)

    @staticmethod
    def _level(table: pd.DataFrame) -> np.ndarray:
        return (table["level"] if "level" in table else table["depth"].round(1)).to_numpy()

    def fit(self, train_table: pd.DataFrame) -> "RegressionKriging":
        from threadpoolctl import threadpool_limits

        train = labelled(train_table).reset_index(drop=True)
        y = train["y"].to_numpy(dtype=float)
        with threadpool_limits(1):
            self.tree = self._tree().fit(train)
            res = y - self.tree.predict(train)
            if self.cv > 1 and len(train) >= 10 * self.cv:
                fold = np.random.default_rng([self.random_state, 5]).integers(0, self.cv, len(train))
                for k in range(self.cv):
                    m = self._tree().fit(train[fold != k])
                    res[fold == k] = y[fold == k] - m.predict(train[fold == k])
        self.res = pd.DataFrame({"year": train["year"].to_numpy(np.int64), "level": self._level(train),
                                 "lat": train["lat"].to_numpy(float), "lon": train["lon"].to_numpy(float),
                                 "cell": train["cell"].to_numpy() if "cell" in train else np.arange(len(train)),
                                 "r": res}).sort_values(["level", "year"], kind="stable").reset_index(drop=True)
        self._covariance()
        self.fitted = True
        return self

    def _covariance(self) -> None:
        import gstools as gs

        r = self.res
        self.var_, self.nugget_ = 0.5 * float(np.var(r["r"])), 0.5 * float(np.var(r["r"]))
        length = self.length_km or 800.0
        edges = np.linspace(0.0, 3000.0, 16)
        num, cnt = np.zeros(len(edges) - 1), np.zeros(len(edges) - 1)
        groups = [g for _, g in r.groupby(["year", "level"]) if len(g) >= self.min_group]
        rng = np.random.default_rng([self.random_state, 6])
        for g in sorted(groups, key=len, reverse=True)[:80]:
            g = g.iloc[np.sort(rng.choice(len(g), min(len(g), 500), replace=False))]
            pos = (g["lat"].to_numpy(float), g["lon"].to_numpy(float))       # numpy: pandas gives no pairs
            centres, gamma, counts = gs.vario_estimate(pos, g["r"].to_numpy(float), edges.copy(), latlon=True,
                                                       geo_scale=gs.KM_SCALE, return_counts=True)  # edits edges
            num += np.nan_to_num(gamma) * counts
            cnt += counts
        self.variogram_ = "default: fewer than 4 lag bins with pairs"
        if (cnt > 0).sum() >= 4:
            ok = cnt > 0
            model = gs.Exponential(latlon=True, geo_scale=gs.KM_SCALE, len_scale=length)
            model.len_scale_bounds = [edges[1], 10.0 * edges[-1]]         # at least one bin: no pure-noise fits
            try:
                model.fit_variogram(centres[ok], num[ok] / cnt[ok], nugget=True, len_scale=self.length_km is None)
                if 50.0 < model.len_scale < 20000.0 and model.var > 0:
                    length, self.var_, self.nugget_ = model.len_scale, model.var, max(model.nugget, 1e-6)
                    self.variogram_ = "fitted"
                else:
                    self.variogram_ = f"default: fitted length {model.len_scale:.0f} km or variance out of range"
            except (RuntimeError, ValueError) as e:      # the default covariance is kept, and says why
                self.variogram_ = f"default: variogram fit failed ({e})"
        self.length_ = float(length)
        tau = self.time_scale_yr
        if tau is None:
            a = r[["cell", "year", "r"]]
            b = a.assign(year=a["year"] + 1)
            pair = a.merge(b, on=["cell", "year"], suffixes=("", "_prev"))
            rho = np.corrcoef(pair["r"], pair["r_prev"])[0, 1] if len(pair) >= 30 else np.nan
            tau = -1.0 / np.log(rho) if np.isfinite(rho) and 0.05 < rho < 0.99 else 1.0
        self.time_scale_ = float(tau)

    def _model(self):
        import gstools as gs

        return gs.Exponential(latlon=True, temporal=True, geo_scale=gs.KM_SCALE, var=self.var_,
                              len_scale=self.length_, nugget=self.nugget_, anis=self.time_scale_ / self.length_)

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        import gstools as gs
        from threadpoolctl import threadpool_limits

        self._check_fitted()
        threads, gs.config.NUM_THREADS = gs.config.NUM_THREADS, 1
        try:
            with threadpool_limits(1):
                out = self.tree.predict(table).astype(float)
                model = self._model()
                q = pd.DataFrame({"year": table["year"].to_numpy(np.int64), "level": self._level(table),
                                  "lat": table["lat"].to_numpy(float), "lon": table["lon"].to_numpy(float)})
                for (year, level), rows in q.groupby(["year", "level"]).indices.items():
                    c = self._conditioning(int(year), level)
                    if len(c) < 3:
                        continue
                    krig = gs.krige.Ordinary(model, cond_pos=_pos(c), cond_val=c["r"].to_numpy(float), exact=False,
                                             pseudo_inv=False)
                    out[rows] += krig(_pos(q.iloc[rows]), mesh_type="unstructured", return_var=False, store=False)
        finally:
            gs.config.NUM_THREADS = threads
        return out

    def _conditioning(self, year: int, level) -> pd.DataFrame:
        r, levels = self.res, self.res["level"].to_numpy()
        g = r.iloc[np.searchsorted(levels, level, side="left"):np.searchsorted(levels, level, side="right")]
        g = g[(g["year"] - year).abs() <= self.window]
        if len(g) <= self.max_points:
            return g
        same = g[g["year"] == year]
        if len(same) >= self.max_points:
            return same.iloc[np.sort(np.random.default_rng([self.random_state, year, 7]).choice(
                len(same), self.max_points, replace=False))]
        other = g[g["year"] != year]
        pick = np.random.default_rng([self.random_state, year, 8]).choice(len(other), self.max_points - len(same),
                                                                          replace=False)
        return pd.concat([same, other.iloc[np.sort(pick)]])
