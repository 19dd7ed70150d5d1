"""``oxygen-hpc products`` configuration: a dataclass loaded from YAML (``configs/products/*.yaml``).

Unknown keys and wrong types are refused with a one-line error naming the file and the key
(``oxygen_contracts.config.load``); the CLI turns that into exit status 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxygen_contracts.config import ConfigError, load

DEFAULT_THRESHOLDS = (20.0, 30.0, 60.0, 90.0)   # 60 and 90: the GODIP-DO intercomparison's OMZ thresholds


@dataclass
class ProductsConfig:
    """Args:
        input: folder of yearly CF-NetCDF files, a glob, or one file (a reconstruction or ``truth.nc``).
        out: output folder (``products_yearly.csv``, ``trends.csv``, ``products.nc``, ``maps/``, ``timeseries/``).
        variable: O2 variable name (µmol/kg). ``std_variable``: its per-cell uncertainty, if the input has it.
        member_variable: every ensemble member's O2 (``oxygen-hpc predict --write-members``), if the input has it
            (with at least 2 members): every yearly series is also computed per member and the outputs carry the
            ensemble spread (``oxygen_hpc.products.ensemble``).
        thresholds: OMZ thresholds (µmol/kg); default 20, 30, 60 and 90 (GODIP-DO reports 60 and 90).
        basins: also report per basin (``oxygen_hpc.products.basins``).
        density: constant seawater density (kg/m³) for the inventory (1025, as ``summary.json``).
        density_from_ts: use gsw in-situ density from ``temperature``/``salinity`` instead (read from ``ts_file``,
            default the input itself, e.g. ``truth.nc`` or ``covariates.nc`` on the same grid and years).
        geometry_file: a file on the same grid with ``cell_volume`` (m³) and/or ``bottom_depth`` (m) to use for
            volumes instead of the input's (e.g. the synthetic ``truth.nc``, so reconstruction and truth share
            one geometry). Without it and without ``cell_volume`` in the input, volumes come from the grid.
        earth_radius_km: sphere radius for cell areas when the input has no ``cell_volume``.
        map_depths: depths (m) of the maps (nearest level). ``map_years``: years mapped (default first and last).
        maps, timeseries: write the PNGs.
    """

    input: str | None = None
    out: str = "products"
    variable: str = "o2"
    std_variable: str = "o2_std"
    member_variable: str = "o2_member"
    thresholds: list[float] = field(default_factory=lambda: list(DEFAULT_THRESHOLDS))
    basins: bool = True
    density: float = 1025.0
    density_from_ts: bool = False
    ts_file: str | None = None
    geometry_file: str | None = None
    earth_radius_km: float = 6371.0
    map_depths: list[float] = field(default_factory=lambda: [0.0])
    map_years: list[int] | None = None
    maps: bool = True
    timeseries: bool = True

    def __post_init__(self):
        if not self.thresholds:
            raise ConfigError("thresholds", "must list at least one threshold (µmol/kg)")
        if any(t <= 0 for t in self.thresholds) or len(set(self.thresholds)) != len(self.thresholds):
            raise ConfigError("thresholds", f"must be distinct and > 0, got {list(self.thresholds)}")
        if self.density <= 0:
            raise ConfigError("density", f"must be > 0 kg/m³, got {self.density}")
        if self.earth_radius_km <= 0:
            raise ConfigError("earth_radius_km", f"must be > 0, got {self.earth_radius_km}")
        if any(d < 0 for d in self.map_depths):
            raise ConfigError("map_depths", f"depths must be >= 0 m, got {list(self.map_depths)}")
        self.thresholds = sorted(float(t) for t in self.thresholds)


def load_config(path: str | Path | None, overrides: dict | None = None) -> ProductsConfig:
    """Config from YAML ``path`` (None = defaults) with dotted ``overrides`` (CLI flags) on top."""
    if path is None:
        from oxygen_contracts.config import from_dict

        return from_dict(ProductsConfig, dict(overrides or {}))
    return load(path, ProductsConfig, overrides)
