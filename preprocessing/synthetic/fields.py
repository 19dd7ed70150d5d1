"""Gaussian random fields on the sphere × depth levels × years, built on gstools' randomization method.

gstools (``RandMeth``, Heße et al. 2014) writes a field with covariance model C as
``F(x) = sqrt(1/M) Σ_i [Z1_i cos(κ_i·x) + Z2_i sin(κ_i·x)]`` with Z ~ N(0, 1) and wave vectors κ_i drawn from
the spectral density of C. Here C is ``gstools.Gaussian(latlon=True, geo_scale=KM_SCALE, rescale=1)``: correlation
exp(−(d/L)²) with d the chord (≈ great-circle) distance in km, so ``length_km`` L is the e-folding length; the
κ_i are drawn by gstools' own sampler (``RNG.sample_sphere`` × ``RNG.sample_dist`` of the model's radial spectral
distribution), positions are gstools' ``latlon2pos``. The amplitudes Z then carry depth and time:

- depth: Z at level k = r_k · Z at level k−1 + sqrt(1 − r_k²) · fresh, r_k = exp(−Δz_k / ``depth_scale_m``);
- time: Z(t) = ρ · Z(t−1) + sqrt(1 − ρ²) · fresh, ρ = exp(−1 / ``time_scale_yr``) (AR(1)); no time scale = static.

Every Z is N(0, 1) at every (level, year), so F has unit variance and covariance
exp(−(d/L)²) · exp(−|Δz|/Z) · exp(−|Δt|/τ). The κ_i are fixed, so F is exact at any position (cell centres and
observation points alike); a year's fresh numbers come from a generator seeded by (seed, year), so the field of
a year does not depend on which years were asked for before (jumping back replays from the first year).
"""
from __future__ import annotations

import gstools as gs
import numpy as np


def sub_seed(seed: int, *tags: int) -> int:
    """A 32-bit seed for gstools' RNG from (seed, tags...)."""
    return int(np.random.SeedSequence([int(seed), *[int(t) for t in tags]]).generate_state(1)[0])


class RandomField:
    """Unit-variance field on (lat, lon) × ``levels`` (m) × years; ``time_scale_yr=None`` = one static draw."""

    def __init__(self, length_km: float, levels, depth_scale_m: float | None, time_scale_yr: float | None,
                 seed: int, modes: int = 512, year0: int = 0, like: "RandomField | None" = None):
        """``like``: share that field's wave vectors (same length scale; the amplitudes stay independent, so the
        two fields are independent, and one basis serves both)."""
        model = gs.Gaussian(latlon=True, geo_scale=gs.KM_SCALE, len_scale=float(length_km), rescale=1.0)
        if like is not None:
            self.kappa = like.kappa
        else:
            rng = gs.random.RNG(sub_seed(seed, 0))
            sphere = rng.sample_sphere(model.dim, modes)
            # radii from the model's radial spectral cdf (the latlon model is 3-D: gstools has the cdf, not the
            # ppf, and its generic inversion is one root search per mode; a tabulated inversion of the same cdf
            # is 1000× faster and agrees to the table's resolution)
            r = np.linspace(0.0, 8.0 / length_km, 20001)
            cdf = np.maximum.accumulate(model.spectral_rad_cdf(r))
            rad = np.interp(rng.random.random_sample(modes) * cdf[-1], cdf, r)
            self.kappa = rad * sphere                                      # [3, M], 1/km
        self.radius = model.geo_scale
        self.modes, self.seed, self.year0 = int(modes), int(seed), int(year0)
        levels = np.atleast_1d(np.asarray(levels, float))
        self.levels = levels
        dz = np.diff(levels)
        self.r_depth = np.exp(-dz / depth_scale_m) if depth_scale_m else np.zeros(len(dz))
        self.rho = float(np.exp(-1.0 / time_scale_yr)) if time_scale_yr else None
        self.year, self.z = None, None

    # -- amplitudes --------------------------------------------------------------------------------------------
    def _fresh(self, year: int) -> np.ndarray:
        xi = np.random.default_rng([self.seed, 1, int(year) - self.year0 + 10_000]).standard_normal(
            (len(self.levels), 2 * self.modes))
        for k, r in enumerate(self.r_depth, start=1):                     # Markov chain down the levels
            xi[k] = r * xi[k - 1] + np.sqrt(1.0 - r * r) * xi[k]
        return xi

    def set_year(self, year: int) -> None:
        year = int(year)
        if self.rho is None:
            if self.z is None:
                self.z = self._fresh(self.year0)
            self.year = year
            return
        if self.z is None or self.year is None or year < self.year:
            self.year, self.z = self.year0, self._fresh(self.year0)
        s = np.sqrt(1.0 - self.rho ** 2)
        while self.year < year:
            self.year += 1
            self.z = self.rho * self.z + s * self._fresh(self.year)

    # -- evaluation --------------------------------------------------------------------------------------------
    def basis(self, lat, lon) -> np.ndarray:
        """[n, 2M] float32 cos/sin of the modes at points (degrees); reuse it for every year."""
        pos = gs.tools.geometric.latlon2pos((np.ravel(lat), np.ravel(lon)), radius=self.radius)
        phase = (pos.T @ self.kappa).astype(np.float32)
        return np.concatenate([np.cos(phase), np.sin(phase)], axis=1)

    def values(self, basis: np.ndarray) -> np.ndarray:
        """[n, levels] field of the current year at the points of ``basis``."""
        if self.z is None:
            raise RuntimeError("RandomField.values before set_year")
        return (basis @ self.z.T.astype(np.float32)).astype(np.float64) / np.sqrt(self.modes)

    def at_depth(self, vals: np.ndarray, depth) -> np.ndarray:
        """Linear interpolation in depth of ``vals`` [n, levels] to one depth per row (clamped at the ends)."""
        depth = np.asarray(depth, float)
        if len(self.levels) == 1:
            return vals[:, 0]
        k = np.clip(np.searchsorted(self.levels, depth) - 1, 0, len(self.levels) - 2)
        w = np.clip((depth - self.levels[k]) / (self.levels[k + 1] - self.levels[k]), 0.0, 1.0)
        rows = np.arange(len(depth))
        return (1 - w) * vals[rows, k] + w * vals[rows, k + 1]
