"""Config of the synthetic ocean (``configs/synthetic/*.yaml`` maps 1:1 onto :class:`SynthConfig`).

Curves (casts per year, shares) are given as ``{year: value}`` knots and interpolated linearly in the year
(casts per year: linearly in log space); outside the knots the end values hold.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oxygen_contracts.config import ConfigError
from oxygen_contracts.grid import GridSpec


def _default_casts() -> dict[int, float]:
    return {1920: 300.0, 1935: 700.0, 1950: 2000.0, 1960: 8000.0, 1970: 15000.0, 1980: 20000.0,
            1990: 25000.0, 2000: 35000.0, 2010: 100000.0, 2023: 100000.0}


@dataclass(frozen=True)
class PhysicsConfig:
    """Knobs of the truth (see :mod:`preprocessing.synthetic.ocean`)."""

    warming_start: int = 1950
    warming_rate: float = 0.01           # °C per year at the surface after warming_start
    deoxygenation: float = 0.0          # fractional growth of utilisation per 50 years after warming_start
    omz_intensification: float = 0.7     # OMZ utilisation grows by this fraction 1920 → 2023
    omz_expansion: float = 0.5           # OMZ footprint widens by this fraction 1920 → 2023
    enso_amplitude: float = 1.0          # ENSO index standard deviation (°C-like)
    nitrate_noise: float = 0.8           # µmol/kg, static noise of NO3 around 16·PO4

    def __post_init__(self):
        for k in ("warming_rate", "deoxygenation", "omz_intensification", "omz_expansion", "enso_amplitude",
                  "nitrate_noise"):
            if getattr(self, k) < 0:
                raise ConfigError(f"physics.{k}", f"must be >= 0, got {getattr(self, k)}")


@dataclass(frozen=True)
class SamplingConfig:
    """How history samples the ocean; every cast count below is at ``scale`` 1."""

    casts_per_year: dict[int, float] = field(default_factory=_default_casts)
    wod_oxygen_share: dict[int, float] = field(default_factory=lambda: {1920: 0.7, 1960: 0.5, 1975: 0.2,
                                                                         2023: 0.12})
    argo_start: int = 2000
    argo_share: dict[int, float] = field(default_factory=lambda: {2000: 0.05, 2008: 0.5, 2023: 0.55})
    argo_oxygen_share: dict[int, float] = field(default_factory=lambda: {2000: 0.02, 2010: 0.04, 2023: 0.2})
    argo_profiles_per_float: int = 30
    argo_lifetime_years: int = 4
    cruise_start: int = 1990             # CCHDO and GLODAP repeat hydrography
    cruises_per_year: float = 40.0
    n_lines: int = 16                    # repeat lines (alternately CCHDO and GLODAP)
    geotraces_start: int = 2008
    geotraces_per_year: float = 20.0
    station_spacing_deg: float = 3.0
    early_bias_until: int = 1970         # NH / coastal / shipping-lane bias fades out by this year
    oxygen_noise: float = 1.5            # µmol/kg (bottle); Argo gets twice this
    temperature_noise: float = 0.005
    salinity_noise: float = 0.003

    def __post_init__(self):
        for k in ("casts_per_year", "wod_oxygen_share", "argo_share", "argo_oxygen_share"):
            knots = getattr(self, k)
            if not knots:
                raise ConfigError(f"sampling.{k}", "needs at least one {year: value} knot")
            vals = np.array(list(knots.values()), float)
            if np.any(vals < 0) or (k != "casts_per_year" and np.any(vals > 1)):
                raise ConfigError(f"sampling.{k}", "values must be >= 0 (shares <= 1)")
        if self.argo_profiles_per_float < 1:
            raise ConfigError("sampling.argo_profiles_per_float", "must be >= 1")
        if self.station_spacing_deg <= 0:
            raise ConfigError("sampling.station_spacing_deg", "must be > 0")


@dataclass(frozen=True)
class FaultConfig:
    """Fault rates (per oxygen value, disjoint) and counts; see the summary definitions in ``summary.py``."""

    bad_flag_rate: float = 0.02
    outlier_rate: float = 0.004
    missing_rate: float = 0.01
    duplicate_rate: float = 0.05         # share of cruise/Argo oxygen casts also copied into WOD
    mll_units_before: int = 1960         # WOD yearly files before this year carry O2 in ml/l
    truncated_netcdf: int = 1            # WOD yearly files truncated (whole file unreadable)
    malformed_csv_lines: int = 1         # CCHDO files with one malformed data line

    def __post_init__(self):
        rates = {k: getattr(self, k) for k in ("bad_flag_rate", "outlier_rate", "missing_rate", "duplicate_rate")}
        for k, v in rates.items():
            if not 0 <= v <= 1:
                raise ConfigError(f"faults.{k}", f"must be within [0, 1], got {v}")
        if self.bad_flag_rate + self.outlier_rate + self.missing_rate > 0.5:
            raise ConfigError("faults.bad_flag_rate", "bad_flag + outlier + missing rates must sum to <= 0.5")
        for k in ("truncated_netcdf", "malformed_csv_lines"):
            if getattr(self, k) < 0:
                raise ConfigError(f"faults.{k}", "must be >= 0")


@dataclass(frozen=True)
class VariabilityConfig:
    """What covariates cannot explain (``preprocessing.synthetic.fields`` / ``ocean``; sources in docs/osse.md).

    Interannual-to-decadal AOU anomalies and the heave of the thermocline share one space-time structure
    (Gaussian correlation of e-folding ``length_km`` on the sphere, exponential in depth over ``depth_scale_m``,
    AR(1) with e-folding ``time_scale_yr``). The AOU anomaly's standard deviation is ``aou_std`` at the
    thermocline peak (``peak_depth_m``, width ``peak_width_m``), plus ``omz_margin_std`` on the OMZ margins and
    ``deep_std`` everywhere; heave displaces T, S and AOU together by ``heave_std_m`` (so covariates see it).
    Regional deoxygenation trends: a static field (``trend_length_km``, ``trend_depth_scale_m``) adding
    ``trend_std`` µmol/kg of AOU per 50 years after ``physics.warming_start``. Within-cast noise (eddies,
    representation) at observation points: ``cast_noise_std`` at the thermocline peak (+ ``cast_noise_floor``),
    correlated down a cast over ``cast_noise_depth_m``. ``enabled: false`` gives the smooth analytic ocean.
    """

    enabled: bool = True
    length_km: float = 1000.0
    depth_scale_m: float = 300.0
    time_scale_yr: float = 4.0
    aou_std: float = 22.0
    omz_margin_std: float = 16.0
    deep_std: float = 2.0
    peak_depth_m: float = 300.0
    peak_width_m: float = 450.0
    heave_std_m: float = 15.0
    trend_std: float = 6.0
    trend_length_km: float = 2500.0
    trend_depth_scale_m: float = 800.0
    cast_noise_std: float = 8.0
    cast_noise_floor: float = 1.0
    cast_noise_depth_m: float = 150.0
    modes: int = 512                    # Fourier modes of every random field (gstools randomization method)

    def __post_init__(self):
        for k in ("length_km", "depth_scale_m", "time_scale_yr", "peak_width_m", "trend_length_km",
                  "trend_depth_scale_m", "cast_noise_depth_m"):
            if not getattr(self, k) > 0:
                raise ConfigError(f"variability.{k}", f"must be > 0, got {getattr(self, k)}")
        for k in ("aou_std", "omz_margin_std", "deep_std", "heave_std_m", "trend_std", "cast_noise_std",
                  "cast_noise_floor"):
            if getattr(self, k) < 0:
                raise ConfigError(f"variability.{k}", f"must be >= 0, got {getattr(self, k)}")
        if self.modes < 16:
            raise ConfigError("variability.modes", f"must be >= 16, got {self.modes}")


@dataclass(frozen=True)
class CovariatesConfig:
    """``covariates.nc`` as users have it: an analysis of T/S (``preprocessing.synthetic.analysis``).

    The truth smoothed by a Gaussian of ``smoothing_km`` (over ocean cells of a level), plus a correlated error
    (``error_length_km``, ``error_depth_scale_m``, AR(1) ``error_time_scale_yr``) whose standard deviation at the
    upper thermocline is ``temperature_error`` (°C) / ``salinity_error`` (PSS-78) per year (knots), growing back
    in time as T/S observations thin out. ``perfect: true`` writes the true T/S (the ablation "perfect covariates").
    """

    perfect: bool = False
    smoothing_km: float = 300.0
    temperature_error: dict[int, float] = field(default_factory=lambda: {1920: 0.8, 1950: 0.6, 1970: 0.4,
                                                                          2000: 0.3, 2008: 0.15, 2023: 0.15})
    salinity_error: dict[int, float] = field(default_factory=lambda: {1920: 0.1, 1950: 0.08, 1970: 0.05,
                                                                       2000: 0.04, 2008: 0.02, 2023: 0.02})
    error_length_km: float = 800.0
    error_depth_scale_m: float = 300.0
    error_time_scale_yr: float = 3.0

    def __post_init__(self):
        if self.smoothing_km < 0:
            raise ConfigError("covariates.smoothing_km", f"must be >= 0, got {self.smoothing_km}")
        for k in ("temperature_error", "salinity_error"):
            v = getattr(self, k)
            if not v or min(v.values()) < 0:
                raise ConfigError(f"covariates.{k}", "needs {year: value >= 0} knots")
        for k in ("error_length_km", "error_depth_scale_m", "error_time_scale_yr"):
            if not getattr(self, k) > 0:
                raise ConfigError(f"covariates.{k}", f"must be > 0, got {getattr(self, k)}")


@dataclass(frozen=True)
class ModelRunConfig:
    """``model_run.nc``: a numerical-model stand-in (CMIP6-like), same grid as truth.nc, no observations.

    The same physics with its own realisation of the variability (seed + ``seed_offset``), OMZs moved by
    ``omz_shift_deg`` (lat, lon), scaled by ``omz_strength`` and reaching ``omz_depth_factor`` × deeper, the
    century trends scaled by ``trend_factor``, and a static large-scale AOU bias of ``bias_std`` µmol/kg
    (``bias_length_km``, ``bias_depth_scale_m``). Sizes and sources: docs/osse.md.
    """

    enabled: bool = True
    seed_offset: int = 1000
    omz_shift_deg: tuple[float, float] = (3.0, -10.0)
    omz_strength: float = 0.75
    omz_depth_factor: float = 1.3
    trend_factor: float = 0.6
    bias_std: float = 12.0
    bias_length_km: float = 2000.0
    bias_depth_scale_m: float = 600.0

    def __post_init__(self):
        for k in ("omz_strength", "omz_depth_factor", "bias_length_km", "bias_depth_scale_m"):
            if not getattr(self, k) > 0:
                raise ConfigError(f"model_run.{k}", f"must be > 0, got {getattr(self, k)}")
        for k in ("trend_factor", "bias_std"):
            if getattr(self, k) < 0:
                raise ConfigError(f"model_run.{k}", f"must be >= 0, got {getattr(self, k)}")


@dataclass(frozen=True)
class RealismConfig:
    """The realism report in summary.json (``preprocessing.synthetic.realism``): a covariate-only gradient-boosted
    tree on the good observations binned to nodes, ``spatial_block_year`` folds (``block_deg``, ``n_folds``;
    validation fold 0, test fold 1, as the OSSE benchmark), at most ``tree_max_nodes`` training nodes."""

    tree: bool = True
    tree_max_nodes: int = 40000
    tree_iterations: int = 150
    block_deg: float = 20.0
    n_folds: int = 5

    def __post_init__(self):
        if self.tree_max_nodes < 100 or self.tree_iterations < 1:
            raise ConfigError("realism.tree_max_nodes", "needs >= 100 nodes and >= 1 iteration")
        if self.n_folds < 3:
            raise ConfigError("realism.n_folds", f"must be >= 3, got {self.n_folds}")


@dataclass(frozen=True)
class SynthConfig:
    grid: GridSpec = field(default_factory=GridSpec)
    seed: int = 0
    scale: float = 1.0                   # multiplies every cast count
    physics: PhysicsConfig = field(default_factory=PhysicsConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    variability: VariabilityConfig = field(default_factory=VariabilityConfig)
    covariates: CovariatesConfig = field(default_factory=CovariatesConfig)
    model_run: ModelRunConfig = field(default_factory=ModelRunConfig)
    realism: RealismConfig = field(default_factory=RealismConfig)
    write_truth: bool = True

    def __post_init__(self):
        if not self.scale > 0:
            raise ConfigError("scale", f"must be > 0, got {self.scale}")
        if self.grid.depth_levels[-1] > 6000:
            raise ConfigError("grid.depth_levels", "deepest level must be <= 6000 m")
        if self.grid.resolution_deg > 30:
            raise ConfigError("grid.resolution_deg", "must be <= 30 degrees for an ocean to exist")


def interp_knots(knots: dict[int, float], year: float, log: bool = False) -> float:
    ks = sorted(knots)
    x = np.array(ks, float)
    y = np.array([knots[k] for k in ks], float)
    if log:
        return float(np.exp(np.interp(year, x, np.log(np.maximum(y, 1e-9)))))
    return float(np.interp(year, x, y))
