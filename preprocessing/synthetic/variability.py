"""The unit random fields behind the variability covariates cannot explain (amplitudes: ``ocean.Ocean``).

- ``aou``: interannual-to-decadal AOU anomaly, one value per (cell/point, level, year);
- ``heave``: vertical displacement of the thermocline, one value per (column, year) (same space-time scales);
- ``trend``: a static pattern of regional deoxygenation-trend differences (its own, larger scales);
- ``bias``: a static large-scale bias pattern (the numerical-model run only).

All are :class:`~preprocessing.synthetic.fields.RandomField` s with unit variance. ``grid(year)`` gives them on
the grid's cell centres ([levels, nlat, nlon]; heave [1, nlat, nlon]), ``points(...)`` at observation positions
(fields evaluated at each cast's exact position, linearly interpolated in depth between the grid's levels), so a
cell centre gets the same value either way.
"""
from __future__ import annotations

import numpy as np

from oxygen_contracts.grid import GridSpec
from preprocessing.synthetic.config import VariabilityConfig
from preprocessing.synthetic.fields import RandomField, sub_seed

CACHE_MAX = 8_000_000        # cache a grid basis (float32) up to this many numbers; else recompute per year
CHUNK = 4096                 # points per basis block (memory: CHUNK × 2 modes × 4 bytes)


class Variability:
    def __init__(self, grid: GridSpec, cfg: VariabilityConfig, seed: int, bias: tuple | None = None):
        """``bias``: (length_km, depth_scale_m) of a static bias field, or None."""
        lv, y0, m = grid.depth, grid.year_start, cfg.modes
        self.g = grid
        aou = RandomField(cfg.length_km, lv, cfg.depth_scale_m, cfg.time_scale_yr, sub_seed(seed, 11), m, y0)
        self.fields = {
            "aou": aou,
            "heave": RandomField(cfg.length_km, [0.0], None, cfg.time_scale_yr, sub_seed(seed, 12), m, y0, like=aou),
            "trend": RandomField(cfg.trend_length_km, lv, cfg.trend_depth_scale_m, None, sub_seed(seed, 13), m, y0),
        }
        if bias is not None:
            self.fields["bias"] = RandomField(bias[0], lv, bias[1], None, sub_seed(seed, 14), m, y0)
        la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
        self._cols = (la.ravel(), lo.ravel())
        self._basis: dict[str, np.ndarray] = {}
        self._static: dict[str, np.ndarray] = {}

    def set_year(self, year: int) -> None:
        for f in self.fields.values():
            f.set_year(year)

    def _grid_values(self, name: str, f: RandomField) -> np.ndarray:
        if f.rho is None and name in self._static:
            return self._static[name]
        n = len(self._cols[0])
        key = id(f.kappa)                                  # fields sharing wave vectors share the basis
        if key not in self._basis and f.rho is not None and n * 2 * f.modes <= CACHE_MAX:
            self._basis[key] = f.basis(*self._cols)
        if key in self._basis:
            vals = f.values(self._basis[key])
        else:
            vals = np.concatenate([f.values(f.basis(self._cols[0][s:s + CHUNK], self._cols[1][s:s + CHUNK]))
                                   for s in range(0, n, CHUNK)])
        out = np.asarray(vals, np.float64).T.reshape(len(f.levels), self.g.nlat, self.g.nlon)
        if f.rho is None:
            self._static[name] = out
        return out

    def grid(self, year: int) -> dict:
        self.set_year(year)
        return {k: self._grid_values(k, f) for k, f in self.fields.items()}

    def points(self, cast_lat, cast_lon, cast_index, depth, year: int) -> dict:
        """Unit fields at observation levels: casts at (``cast_lat``, ``cast_lon``), level i of cast
        ``cast_index[i]`` at ``depth[i]``."""
        self.set_year(year)
        cast_index = np.asarray(cast_index, np.int64)
        depth = np.asarray(depth, float)
        out = {k: np.zeros(len(cast_index)) for k in self.fields}
        order = np.argsort(cast_index, kind="stable")
        ci_sorted = cast_index[order]
        for s in range(0, len(cast_lat), CHUNK):
            lo, hi = np.searchsorted(ci_sorted, [s, s + CHUNK])
            rows = order[lo:hi]
            if not len(rows):
                continue
            bases: dict[int, np.ndarray] = {}
            for k, f in self.fields.items():
                if id(f.kappa) not in bases:
                    bases[id(f.kappa)] = f.basis(cast_lat[s:s + CHUNK], cast_lon[s:s + CHUNK])
                vals = f.values(bases[id(f.kappa)])
                out[k][rows] = f.at_depth(vals[cast_index[rows] - s], depth[rows])
        return out
