"""Ensemble spread of the products, from the members' fields (``o2_member``, ``oxygen-hpc predict --write-members``).

When the input holds ``o2_member`` with at least 2 members, every yearly series (O2 inventory, volume-weighted mean
O2, OMZ area and volume per threshold; globally and per basin) is computed from each member's field exactly as
from ``o2`` (same ocean cells, cell volumes and density). The central values stay those of ``o2`` (the ensemble
mean field, as without members): for the inventory and the mean O2, which are linear in O2, they equal the mean of
the members' values; for the OMZ, which is not, they are the OMZ of the mean field. The spread is:

- **yearly series**: ``<column>_std`` = the members' population standard deviation (``ddof = 0``, the statistic
  ``o2_std`` is per cell) in ``products_yearly.csv``, and ``<variable>_std`` in ``products.nc``;
- **trends** (``trends.csv``, per decade): with ``b`` and ``SE_ols`` the OLS slope and its standard error of the
  central series (:func:`oxygen_hpc.products.trends.ols_trend`) and ``b_m`` the OLS slope of member ``m``'s series,
  ``s_members = std_m(b_m)`` (population, ``ddof = 0``) and

      SE_total = sqrt(SE_ols² + s_members²)

  (interannual noise about the fitted line and the reconstruction's spread, taken as independent). The total 95 %
  interval is ``b ± t(0.975, n − 2) · SE_total``; ``pct_se_total_per_decade = 100 · SE_total / |series mean|``.
  Columns added: ``n_members``, ``slope_members_mean_per_decade``, ``slope_members_std_per_decade``,
  ``se_total_per_decade``, ``ci95_total_low``, ``ci95_total_high``, ``pct_se_total_per_decade``.

A single member has no spread: such an input is treated as one without members.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from oxygen_hpc.products.trends import ols_trend

DDOF = 0          # population standard deviation across members, as ``o2_std``
TREND_COLUMNS = ("n_members", "slope_members_mean_per_decade", "slope_members_std_per_decade", "se_total_per_decade",
                 "ci95_total_low", "ci95_total_high", "pct_se_total_per_decade")


@dataclass
class Members:
    """Every member's yearly series (same layout as :class:`oxygen_hpc.products.pipeline.Products` with a leading
    member axis)."""

    inventory: np.ndarray      # [member, year, region] mol
    o2_mean: np.ndarray        # [member, year, region] µmol/kg
    omz_area: np.ndarray       # [member, year, threshold, region] km²
    omz_volume: np.ndarray     # [member, year, threshold, region] km³

    @classmethod
    def zeros(cls, n_members: int, n_years: int, n_thresholds: int, n_regions: int) -> "Members":
        two, three = (n_members, n_years, n_regions), (n_members, n_years, n_thresholds, n_regions)
        return cls(np.zeros(two), np.zeros(two), np.zeros(three), np.zeros(three))

    @property
    def n(self) -> int:
        return int(self.inventory.shape[0])

    def set(self, m: int, n: int, inv, mean, area, vol) -> None:
        """Member ``m``'s values of year index ``n``."""
        self.inventory[m, n], self.o2_mean[m, n], self.omz_area[m, n], self.omz_volume[m, n] = inv, mean, area, vol


def spread(values: np.ndarray) -> np.ndarray:
    """Standard deviation across members (axis 0), population (``ddof = 0``)."""
    return np.std(np.asarray(values, float), axis=0, ddof=DDOF)


def trend_uncertainty(years, central, members) -> dict:
    """The ensemble columns of a trend row (:data:`TREND_COLUMNS`): ``central`` [year] is the central series,
    ``members`` [member, year] the members' series (module docstring for the formula)."""
    tr = ols_trend(years, central)
    slopes = np.array([ols_trend(years, s).slope_per_decade for s in np.asarray(members, float)])
    ok = np.isfinite(slopes)
    nan = float("nan")
    s_mem = float(np.std(slopes[ok], ddof=DDOF)) if ok.any() else nan
    se_tot = math.sqrt(tr.se_per_decade ** 2 + s_mem ** 2)
    tq = float(stats.t.ppf(0.975, tr.n - 2)) if tr.n > 2 else nan
    b = tr.slope_per_decade
    return {"n_members": len(slopes), "slope_members_mean_per_decade": float(slopes[ok].mean()) if ok.any() else nan,
            "slope_members_std_per_decade": s_mem, "se_total_per_decade": se_tot,
            "ci95_total_low": b - tq * se_tot, "ci95_total_high": b + tq * se_tot,
            "pct_se_total_per_decade": 100.0 * se_tot / abs(tr.mean) if tr.mean and math.isfinite(tr.mean) else nan}


def yearly_std_columns(columns: list[str], members: Members, thresholds, key) -> dict[str, np.ndarray]:
    """``{<column>_std: values}`` in the row order of ``products_yearly.csv`` (years outer, regions inner) for the
    member-dependent ``columns``; ``key(threshold)`` names a threshold's columns (``omz30``)."""
    arrays = {"inventory_mol": spread(members.inventory), "o2_mean_umol_kg": spread(members.o2_mean)}
    area, vol = spread(members.omz_area), spread(members.omz_volume)
    for a, t in enumerate(thresholds):
        arrays[f"{key(t)}_area_km2"], arrays[f"{key(t)}_volume_km3"] = area[:, a], vol[:, a]
    return {f"{c}_std": arrays[c].reshape(-1) for c in columns if c in arrays}


def dataset_std_variables(ds, members: Members):
    """``<variable>_std`` for the yearly series of ``products.nc`` (same dims and units; the central variable
    names it in ``ancillary_variables``)."""
    tr2, tr3 = (lambda a: a.T), (lambda a: a.transpose(1, 2, 0))
    for name, values, tr in (("o2_inventory", members.inventory, tr2), ("o2_mean", members.o2_mean, tr2),
                             ("omz_area", members.omz_area, tr3), ("omz_volume", members.omz_volume, tr3)):
        v = ds[name]
        ds[f"{name}_std"] = (v.dims, tr(spread(values)), {
            "long_name": f"ensemble spread of {name}: population standard deviation across {members.n} members",
            "units": v.attrs["units"]})
        ds[name].attrs["ancillary_variables"] = f"{name}_std"
    ds.attrs["ensemble_size"] = members.n
    return ds
