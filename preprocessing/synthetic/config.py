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
class SynthConfig:
    grid: GridSpec = field(default_factory=GridSpec)
    seed: int = 0
    scale: float = 1.0                   # multiplies every cast count
    physics: PhysicsConfig = field(default_factory=PhysicsConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
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
