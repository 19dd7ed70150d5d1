"""``oxygen-hpc covariates`` configuration (``configs/covariates/*.yaml`` maps 1:1 onto :class:`CovariatesConfig`).

Unknown keys and wrong types are refused with one line naming the file and the key (``oxygen_contracts.config``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from oxygen_contracts.config import ConfigError
from oxygen_contracts.grid import GridSpec


@dataclass(frozen=True)
class CovariatesConfig:
    """Args:
        grid: the model grid (``oxygen_contracts.grid.GridSpec``: resolution, depth levels, years, zones) — the
            same grid block as the synthetic ocean's; partition reads it back from covariates.nc.
        woa: World Ocean Atlas files, folders or globs: the temperature (``t_an``) and salinity (``s_an``) files of
            one period (the annual ``t00``/``s00``) or of the 12 months (averaged); WOA18 or WOA23.
        en4: EN4 monthly analyses (files, folders or globs, ``EN.4.2.2.f.analysis.g10.YYYYMM.nc``); a year with
            at least ``en4_min_months`` months is their mean, every other year of the grid is the WOA climatology.
        method: ``linear`` (NaN-aware trilinear) or ``nearest``.
        min_ocean_fraction: a column is ocean in the land mask when at least this fraction of it is ocean.
        fill_cells: coastal gaps are filled at most this many cells outwards (``preprocessing.covariates.regrid``).
        out: output file (``--out`` overrides).
    """

    grid: GridSpec = field(default_factory=GridSpec)
    woa: list[str] = field(default_factory=list)
    en4: list[str] = field(default_factory=list)
    en4_min_months: int = 12
    method: Literal["linear", "nearest"] = "linear"
    min_ocean_fraction: float = 0.5
    fill_cells: int = 2
    out: str | None = None

    def __post_init__(self):
        if not 1 <= self.en4_min_months <= 12:
            raise ConfigError("en4_min_months", f"must be within 1…12, got {self.en4_min_months}")
        if not 0.0 < self.min_ocean_fraction <= 1.0:
            raise ConfigError("min_ocean_fraction", f"must be within (0, 1], got {self.min_ocean_fraction}")
        if self.fill_cells < 0:
            raise ConfigError("fill_cells", f"must be >= 0, got {self.fill_cells}")
