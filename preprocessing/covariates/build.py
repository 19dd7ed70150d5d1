"""The covariates run: the WOA climatology and the ocean mask once, then every year of the grid — the mean of its
EN4 months where EN4 has the year, else the climatology — written as ``covariates.nc``.

Per EN4 year: the monthly fields are averaged on the EN4 grid, interpolated (``regrid.interpolate``), ocean cells
EN4 has no value for are filled from neighbours (``fill_cells`` passes), then from the climatology, so every year
has exactly the climatology's ocean mask (partition takes the ocean as the cells finite in every year). EN4's
potential temperature becomes in-situ temperature (gsw: SA from SP, CT from θ, t from CT at the level's pressure),
as WOA's ``t_an`` and the synthetic ocean's ``temperature`` are. Every step prints one line (``log``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oxygen_contracts.config import to_dict
from oxygen_contracts.grid import GridSpec
from preprocessing.covariates.config import CovariatesConfig
from preprocessing.covariates.regrid import check_coverage, fill_within, interpolate, ocean_mask
from preprocessing.covariates.sources import Field, en4_months, read_en4_year, read_woa
from preprocessing.covariates.writer import CovariatesWriter


@dataclass
class Summary:
    path: Path
    en4_years: list[int]
    woa_years: list[int]
    counts: dict
    seconds: float


def insitu_from_potential(pt: np.ndarray, sp: np.ndarray, grid: GridSpec) -> np.ndarray:
    """In-situ temperature (°C) from potential temperature θ (°C, reference 0 dbar) and practical salinity."""
    import gsw

    lat = grid.lat[None, :, None]
    lon = grid.lon[None, None, :]
    p = gsw.p_from_z(-grid.depth[:, None, None], lat)
    sa = gsw.SA_from_SP(sp, p, lon, lat)
    t = np.asarray(gsw.t_from_CT(sa, gsw.CT_from_pt(sa, pt), p), float)
    return np.where(np.isfinite(t), t, pt)


def _on_grid(t: Field, s: Field, grid: GridSpec, columns: np.ndarray, method: str):
    for f in (t, s):
        check_coverage(f, grid, columns)
    (tv, ot), (sv, os_) = interpolate(t, grid, method), interpolate(s, grid, method)
    return tv, sv, ot, os_


def _span(years: list[int]) -> str:
    if not years:
        return "none"
    runs, start = [], years[0]
    for a, b in zip(years, years[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(runs)


def build(cfg: CovariatesConfig, out: str | Path, log=print) -> Summary:
    t0 = time.perf_counter()
    grid = cfg.grid
    log(f"covariates: grid {grid.resolution_deg:g}° ({grid.nlat}x{grid.nlon}) x {grid.nlev} levels to "
        f"{grid.depth[-1]:g} m, years {grid.year_start}-{grid.year_end}; land mask (global-land-mask) …")
    columns = grid.ocean_fraction() >= cfg.min_ocean_fraction
    woa_t, woa_s = read_woa(list(cfg.woa))
    log(f"covariates: WOA climatology from {len(woa_t.files) + len(woa_s.files)} file(s) "
        f"({woa_t.lat.size}x{woa_t.lon.size} x {woa_t.depth.size} levels to {woa_t.depth[-1]:g} m); regridding …")
    t, s, ot, os_ = _on_grid(woa_t, woa_s, grid, columns, cfg.method)
    if woa_t.potential:
        t = insitu_from_potential(t, s, grid)
    ocean, ct, cs, counts = ocean_mask(columns, t, s, ot, os_, cfg.fill_cells)
    log(f"covariates: ocean mask {counts['ocean_cells']:,} cells; {counts['coastal_cells_filled']:,} coastal cells "
        f"filled; {counts['columns_left_land']:,} of {counts['land_mask_ocean_columns']:,} land-mask ocean "
        f"columns left land (no source ocean within {cfg.fill_cells} cells)")
    months = en4_months(list(cfg.en4)) if cfg.en4 else {}
    en4_years = [int(y) for y in grid.years if len(months.get(int(y), ())) >= cfg.en4_min_months]
    short = {int(y): len(months[int(y)]) for y in grid.years if 0 < len(months.get(int(y), ())) < cfg.en4_min_months}
    if short:
        log(f"covariates: EN4 years with fewer than {cfg.en4_min_months} months use the climatology: {short}")
    woa_years = [int(y) for y in grid.years if int(y) not in en4_years]
    log(f"covariates: {len(en4_years)} year(s) from EN4 ({_span(en4_years)}), {len(woa_years)} from the WOA "
        f"climatology ({_span(woa_years)})")
    writer = CovariatesWriter(out, grid, to_dict(cfg), "oxygen_hpc covariates (WOA climatology"
                              + (", EN4 analyses)" if en4_years else ")"))
    by_year, en4_files, filled = {}, [], {"from_neighbours": 0, "from_climatology": 0}
    try:
        done, t_first = 0, None
        for n, year in enumerate(int(y) for y in grid.years):
            if year not in en4_years:
                writer.write_year(n, ct, cs)
                by_year[year] = "WOA climatology"
                continue
            t_first = t_first or time.perf_counter()
            files = [p for _, p in months[year]]
            et, es = read_en4_year(files)
            tv, sv, _, _ = _on_grid(et, es, grid, columns, cfg.method)
            (tv, a), (sv, b) = fill_within(tv, ocean, cfg.fill_cells), fill_within(sv, ocean, cfg.fill_cells)
            gap = ocean & ~(np.isfinite(tv) & np.isfinite(sv))
            tv, sv = np.where(gap, ct, tv), np.where(gap, cs, sv)
            if et.potential:
                tv = insitu_from_potential(tv, sv, grid)
            writer.write_year(n, np.where(ocean, tv, np.nan), np.where(ocean, sv, np.nan))
            filled["from_neighbours"] += a + b
            filled["from_climatology"] += int(gap.sum())
            by_year[year] = f"EN4 ({len(files)} months)"
            en4_files += files
            done += 1
            per = (time.perf_counter() - t_first) / done
            log(f"covariates: {year} EN4 mean of {len(files)} months, {int(gap.sum()):,} ocean cells from the "
                f"climatology [{done}/{len(en4_years)}, ~{per * (len(en4_years) - done):.0f} s left]")
    except BaseException:
        writer.abort()
        raise
    counts["en4_cells_filled"] = filled
    provenance = {"method": cfg.method, "woa_files": woa_t.files + woa_s.files, "en4_files": en4_files,
                  "years": by_year, "counts": counts, "min_ocean_fraction": cfg.min_ocean_fraction,
                  "fill_cells": cfg.fill_cells, "temperature": "in-situ; EN4 potential temperature converted (gsw)"}
    source = "World Ocean Atlas climatology" + (" and Met Office EN4 analyses" if en4_years else "")
    path = writer.close(provenance, source)
    return Summary(path, en4_years, woa_years, counts, time.perf_counter() - t0)
