"""The gridded outputs of one year, written as the years stream by: truth.nc (with ``o2_anomaly``), covariates.nc
(the analysis, ``analysis.py``), model_run.nc (the numerical-model stand-in, ``ocean.Ocean(model=...)``), and the
streaming statistics of the realism report (``realism_stats``)."""
from __future__ import annotations

import os

import numpy as np

from preprocessing.synthetic import realism
from preprocessing.synthetic.analysis import Analysis, expected_rms
from preprocessing.synthetic.config import SynthConfig
from preprocessing.synthetic.ocean import Ocean
from preprocessing.synthetic.realism_stats import Correlogram, CovariateError, VarianceShare
from preprocessing.synthetic.writers import truth

TRUTH_VARS = ("o2", "temperature", "salinity", "nitrate", "phosphate")
COV_ERR_MAX_DEPTH = 1000.0          # covariate errors are reported over cells this shallow


class Gridded:
    def __init__(self, cfg: SynthConfig, out: str, bathy, conf: dict, anomaly: bool):
        g, v = cfg.grid, cfg.variability
        self.cfg, self.bathy, self.anomaly = cfg, bathy, anomaly
        self.analysis = Analysis(g, cfg.covariates, cfg.seed, bathy.column, v.modes)
        self.writers = {}
        self.model = None
        if cfg.write_truth:
            names = TRUTH_VARS + (("o2_anomaly",) if anomaly else ())
            self.writers["truth"] = truth.TruthWriter(os.path.join(out, "truth.nc"), g, conf, names, bathy)
            title = "synthetic ocean covariates (perfect: the truth)" if cfg.covariates.perfect else \
                "synthetic ocean covariates (an analysis of the truth: smoothed, with a correlated error)"
            self.writers["covariates"] = truth.TruthWriter(os.path.join(out, "covariates.nc"), g, conf,
                                                           ("temperature", "salinity"), title=title)
            if cfg.model_run.enabled:
                self.model = Ocean(g, cfg.physics, cfg.seed + cfg.model_run.seed_offset, v, cfg.model_run)
                self.writers["model"] = truth.TruthWriter(
                    os.path.join(out, "model_run.nc"), g, conf, ("o2",),
                    title="synthetic numerical-model run: own variability, OMZ and trend biases, no observations")
        self.corr = Correlogram(g, bathy.mask, 3.0 * v.length_km, seed=cfg.seed) if anomaly else None
        self.share = VarianceShare(bathy.volume_m3) if anomaly else None
        self.cov_err = CovariateError(g.depth, COV_ERR_MAX_DEPTH)
        k = np.nonzero(bathy.mask)[0]
        self._shallow = g.depth[k][g.depth[k] <= COV_ERR_MAX_DEPTH]
        self.nodes = realism.NodeTable()

    def add_year(self, n: int, year: int, fields: dict) -> dict:
        """Write year ``n`` (= ``year``) of every file from the truth ``fields``; returns the analysis covariates."""
        cov = self.analysis.covariates(fields, year)
        if "truth" in self.writers:
            self.writers["truth"].write_year(n, fields)
            self.writers["covariates"].write_year(n, cov)
        if self.model is not None:
            self.writers["model"].write_year(n, self.model.grid_fields(year, self.bathy.mask))
        if self.anomaly:
            self.corr.add(fields["o2_anomaly"])
            self.share.add(fields["oxygen"], fields["o2_anomaly"])
        c = self.cfg.covariates
        expected = (0.0, 0.0) if c.perfect else tuple(expected_rms(c, self._shallow, year, v)
                                                      for v in ("temperature", "salinity"))
        self.cov_err.add(year, fields, cov, expected)
        return cov

    def add_obs(self, year: int, yc, good: np.ndarray, cov: dict) -> None:
        lv, c = yc.level, yc.cast
        ci = lv["cast"][good]
        self.nodes.add(self.cfg.grid, year, c["lat"][ci], c["lon"][ci], lv["depth"][good], lv["oxygen"][good], cov,
                       self.bathy.bottom)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()

    def realism(self, summary: dict) -> dict:
        cfg, v = self.cfg, self.cfg.variability
        tree = self.nodes.tree(cfg.grid, cfg.realism) if cfg.realism.tree else {"rmse": None, "r2": None}
        anomaly = {"variance": self.share.result() if self.anomaly else None,
                   "measured": self.corr.result() if self.anomaly else None}
        configured = {"length_km": v.length_km, "time_scale_yr": v.time_scale_yr, "depth_scale_m": v.depth_scale_m,
                      "aou_std": v.aou_std, "heave_std_m": v.heave_std_m, "enabled": self.anomaly}
        return realism.report(tree, realism.headline(summary), anomaly, self.cov_err.result(), configured)
