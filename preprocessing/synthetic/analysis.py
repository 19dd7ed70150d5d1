"""``covariates.nc`` as users have it: an objective analysis of T/S, not the truth (``covariates`` config).

analysis = smooth(truth) + σ(year) · shape(z) · E(x, z, t)

- smooth: a Gaussian of ``smoothing_km`` (e-folding √2·s) over the ocean cells of the same level (great-circle
  distances between cell centres; weights renormalised over ocean cells, so coasts are not diluted by land);
- E: a unit :class:`~preprocessing.synthetic.fields.RandomField` per variable (``error_length_km``,
  ``error_depth_scale_m``, AR(1) ``error_time_scale_yr``) — analysis errors are correlated in space and persist;
- σ(year): ``temperature_error`` / ``salinity_error`` knots, growing back in time as T/S observations thin out;
  shape(z) = 1 at 100 m, ~0.45 at 500 m, 0.15 at depth (errors follow the thermocline's variability).

``perfect: true`` returns the truth unchanged (the old covariates, for the "perfect covariates" ablation).
The ocean mask is untouched: the analysis is finite exactly where the truth is.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from oxygen_contracts.grid import GridSpec
from preprocessing.synthetic.config import CovariatesConfig, interp_knots
from preprocessing.synthetic.fields import RandomField, sub_seed

EARTH_KM = 6371.0


def error_shape(z) -> np.ndarray:
    z = np.asarray(z, float)
    return 0.15 + 0.85 * np.exp(-((z - 100.0) / 450.0) ** 2)


def expected_rms(cfg: CovariatesConfig, depth, year: int, variable: str = "temperature") -> float:
    """RMS of the configured error over the given cell depths (what :func:`Analysis` adds to the smoothed truth)."""
    sigma = interp_knots(getattr(cfg, f"{variable}_error"), year)
    return float(sigma * np.sqrt(np.mean(error_shape(depth) ** 2)))


class Analysis:
    def __init__(self, grid: GridSpec, cfg: CovariatesConfig, seed: int, column: np.ndarray, modes: int = 512):
        self.g, self.cfg = grid, cfg
        if cfg.perfect:
            return
        self.shape = error_shape(grid.depth)[:, None, None]
        self.errors = {v: RandomField(cfg.error_length_km, grid.depth, cfg.error_depth_scale_m,
                                      cfg.error_time_scale_yr, sub_seed(seed, 21 + n), modes, grid.year_start)
                       for n, v in enumerate(("temperature", "salinity"))}
        la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
        self.basis = {v: f.basis(la.ravel(), lo.ravel()) for v, f in self.errors.items()}
        self.W = self._smoother(la.ravel(), lo.ravel()) if cfg.smoothing_km > 0 else None

    def _smoother(self, lat, lon):
        s = self.cfg.smoothing_km
        la, lo = np.deg2rad(lat), np.deg2rad(lon)
        xyz = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]) * EARTH_KM
        tree = cKDTree(xyz)
        d = tree.sparse_distance_matrix(tree, 3.0 * s, output_type="coo_matrix")
        w = np.exp(-0.5 * (d.data / s) ** 2)
        n = len(lat)
        return sparse.csr_matrix((np.r_[w, np.ones(n)], (np.r_[d.row, np.arange(n)], np.r_[d.col, np.arange(n)])),
                                 shape=(n, n))

    def smooth(self, field: np.ndarray) -> np.ndarray:
        """[nlev, nlat, nlon] with NaN off the ocean → smoothed over ocean cells, NaN kept."""
        if self.W is None:
            return field
        ok = np.isfinite(field).reshape(len(field), -1).T.astype(np.float64)      # [ncol, nlev]
        val = np.nan_to_num(field).reshape(len(field), -1).T.astype(np.float64)
        num, den = self.W @ val, self.W @ ok
        out = (num / np.maximum(den, 1e-12)).T.reshape(field.shape)
        return np.where(np.isfinite(field), out, np.nan)

    def error(self, variable: str, year: int) -> np.ndarray:
        f = self.errors[variable]
        f.set_year(year)
        e = f.values(self.basis[variable]).T
        sigma = interp_knots(getattr(self.cfg, f"{variable}_error"), year)
        return sigma * self.shape * e.reshape(self.g.nlev, self.g.nlat, self.g.nlon)

    def covariates(self, fields: dict, year: int) -> dict:
        """{temperature, salinity} of the analysis for ``year`` from the truth ``fields`` (float32, NaN off ocean)."""
        if self.cfg.perfect:
            return {"temperature": fields["temperature"], "salinity": fields["salinity"]}
        t = self.smooth(fields["temperature"]) + self.error("temperature", year)
        s = self.smooth(fields["salinity"]) + self.error("salinity", year)
        return {"temperature": np.maximum(t, -1.9).astype(np.float32), "salinity": s.astype(np.float32)}
