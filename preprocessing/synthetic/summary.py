"""summary.json: what the synthetic ocean holds, defined exactly so later stages can check themselves.

Truth (over ocean cells: ocean column, level depth <= bottom; volumes from ``truth.nc:cell_volume``):
- ``global_mean_o2``: Σ_years Σ_cells o2·V / Σ_years Σ_cells V (µmol/kg).
- ``inventory_mol[year]``: Σ_cells o2·1e-6·1025·V (mol; density 1025 kg/m³).
- ``omz30_area_km2[year]``: Σ area of columns whose o2 < 30 µmol/kg at any level (km²).
Observations (OXYGEN values only; "entry" = a level of a cast that carries an oxygen variable):
- ``observations[source]``: oxygen entries in readable places (fill values included, lost ones excluded) =
  what a reader returns as oxygen rows with a reason other than ``absent``.
- ``observations_good[source]``: entries with no fault and not a duplicate copy (expected accepted values).
- ``injected_faults``: disjoint counts of oxygen entries — ``bad_flag`` (the source's bad flag on a plausible
  value), ``outlier`` (good flag; out of 0–600 or > 120 % saturation below 200 m; split in ``outlier_kinds``),
  ``missing`` (fill value where the level's other variables exist), ``duplicate`` (entries of the second copy:
  the WOD copy of a cruise/Argo cast; ingest may keep either copy, the count is the same),
  ``mll_units`` (entries in ml/l in WOD files before ``faults.mll_units_before``: converted, not rejected;
  these files carry no other fault), ``corrupt_files`` (list of {file, kind, where, oxygen_values_lost}:
  ``truncated_netcdf`` = a whole WOD file unreadable; ``malformed_line`` = one CCHDO data line cut short).
  Hence per source: observations = good + bad_flag + outlier + missing + duplicate (mll_units are good).
- ``observed_cell_fraction``: distinct (ocean cell, year) nodes holding >= 1 good entry (located with
  ``GridSpec.locate``) / (ocean cells × years).
- ``realism``: the realism report (``realism.py``): covariate-only trees on the good entries binned to nodes,
  the anomaly field's variance share and measured scales, the headline figures above against their target bands,
  covariate errors per decade. Only ``runtime_s`` depends on the wall clock.
"""
from __future__ import annotations

import numpy as np

from preprocessing.synthetic.faults import BAD_FLAG, MISSING, OUTLIER_RANGE, OUTLIER_SUPERSAT
from preprocessing.synthetic.sampling import SOURCE_NAMES, WOD

RHO = 1025.0


class Summary:
    def __init__(self, grid, bathy):
        self.g, self.b = grid, bathy
        self.o2v = 0.0
        self.v = 0.0
        self.inventory, self.omz30, self.observed = {}, {}, {}
        self.obs = {s: 0 for s in SOURCE_NAMES}
        self.good = {s: 0 for s in SOURCE_NAMES}
        self.faults = {"bad_flag": 0, "outlier": 0, "mll_units": 0, "duplicate": 0, "missing": 0}
        self.outlier_kinds = {"range": 0, "supersaturation": 0}
        self.corrupt = []
        self.files = {s: 0 for s in SOURCE_NAMES}

    def add_truth(self, year, o2):
        m, vol = self.b.mask, self.b.volume_m3
        s = float(np.sum(np.where(m, o2, 0.0) * vol))
        self.o2v += s
        self.v += float(vol[m].sum())
        self.inventory[str(year)] = round(s * 1e-6 * RHO, 6)
        low = np.any(m & (np.nan_to_num(o2, nan=999.0) < 30.0), axis=0)
        self.omz30[str(year)] = round(float((self.b.area_m2 * low).sum() / 1e6), 3)

    def add_obs(self, yc, lost, mll_file) -> np.ndarray:
        """Count one year's oxygen entries; returns the per-level mask of good entries."""
        c, lv = yc.cast, yc.level
        ci = lv["cast"]
        entry = c["has_o2"][ci] & ~lost
        src = c["src"][ci]
        fault = lv["fault"]
        copy = c["dup_role"][ci] == 2
        good = entry & (fault == 0) & ~copy
        for k, name in enumerate(SOURCE_NAMES):
            self.obs[name] += int((entry & (src == k)).sum())
            self.good[name] += int((good & (src == k)).sum())
        self.faults["bad_flag"] += int((entry & (fault == BAD_FLAG)).sum())
        self.faults["missing"] += int((entry & (fault == MISSING)).sum())
        self.outlier_kinds["range"] += int((entry & (fault == OUTLIER_RANGE)).sum())
        self.outlier_kinds["supersaturation"] += int((entry & (fault == OUTLIER_SUPERSAT)).sum())
        self.faults["outlier"] = sum(self.outlier_kinds.values())
        self.faults["duplicate"] += int((entry & copy).sum())
        if mll_file:
            self.faults["mll_units"] += int((entry & (src == WOD)).sum())
        k, j, i = self.g.locate(c["lat"][ci][good], c["lon"][ci][good], lv["depth"][good])
        ok = k >= 0
        ok[ok] = self.b.mask[k[ok], j[ok], i[ok]]
        cells = np.unique(self.g.cell_id(k[ok], j[ok], i[ok]))
        self.observed[str(yc.year)] = int(len(cells))
        return good

    def to_dict(self, runtime_s: float) -> dict:
        n_nodes = int(self.b.mask.sum()) * len(self.g.years)
        return {
            "global_mean_o2": round(self.o2v / self.v, 4),
            "inventory_mol": self.inventory,
            "omz30_area_km2": self.omz30,
            "observed_cell_fraction": round(sum(self.observed.values()) / n_nodes, 6),
            "observed_cells_per_year": self.observed,
            "ocean_cells": int(self.b.mask.sum()),
            "observations": self.obs,
            "observations_good": self.good,
            "injected_faults": {**self.faults, "outlier_kinds": self.outlier_kinds, "corrupt_files": self.corrupt},
            "files": self.files,
            "runtime_s": round(runtime_s, 2),
        }
