"""The products run: stream the input year by year, accumulate the yearly series, fit trends, write files.

Outputs in ``cfg.out``:
- ``products_yearly.csv``: one row per (year, region) — region ``global`` and, with ``basins``, each basin —
  with ``inventory_mol``, ``o2_mean_umol_kg`` (volume-weighted), ``ocean_volume_km3`` and, per threshold T,
  ``omzT_area_km2`` and ``omzT_volume_km3``;
- ``trends.csv``: one row per (series, region): OLS trend per decade ± SE, 95 % CI, p, and in % of the mean;
- ``products.nc``: the same yearly series as CF variables over (time[, threshold], region);
- with ensemble members in the input (``o2_member``): ``<column>_std`` after each member-dependent column of
  ``products_yearly.csv``, ``<variable>_std`` in ``products.nc`` and the trends' total uncertainty in ``trends.csv``
  (:mod:`oxygen_hpc.products.ensemble`); :mod:`oxygen_hpc.products.headline` gives the figures the CLI prints;
- ``maps/o2_<year>_<depth>m.png``, ``maps/o2_trend_<depth>m.png`` (µmol/kg per decade; also ``o2_trend`` in
  ``products.nc``) and ``timeseries/{inventory,omz_area,inventory_basins}.png``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from oxygen_hpc.products import basins as bas
from oxygen_hpc.products import plots
from oxygen_hpc.products.config import ProductsConfig
from oxygen_hpc.products.ensemble import Members, dataset_std_variables, trend_uncertainty, yearly_std_columns
from oxygen_hpc.products.inventory import density_gsw, inventory_mol, mean_o2
from oxygen_hpc.products.io import InputError, Source, write_csv, write_netcdf
from oxygen_hpc.products.omz import omz_table
from oxygen_hpc.products.trend_maps import TrendMaps
from oxygen_hpc.products.trends import trend_rows


OPEN_FILES = 4


def tkey(t: float) -> str:
    return f"omz{t:g}".replace(".", "p")


@dataclass
class Products:
    years: np.ndarray
    time: np.ndarray
    regions: list[str]
    thresholds: list[float]
    inventory: np.ndarray      # [year, region] mol
    o2_mean: np.ndarray        # [year, region] µmol/kg
    ocean_volume: np.ndarray   # [year, region] km³
    omz_area: np.ndarray       # [year, threshold, region] km²
    omz_volume: np.ndarray     # [year, threshold, region] km³
    attrs: dict
    members: Members | None = None   # every member's series, when the input has o2_member (>= 2 members)

    def yearly_table(self) -> pd.DataFrame:
        rows = []
        for y, year in enumerate(self.years):
            for r, region in enumerate(self.regions):
                row = {"year": int(year), "region": region, "inventory_mol": self.inventory[y, r],
                       "o2_mean_umol_kg": self.o2_mean[y, r], "ocean_volume_km3": self.ocean_volume[y, r]}
                for a, t in enumerate(self.thresholds):
                    row[f"{tkey(t)}_area_km2"] = self.omz_area[y, a, r]
                    row[f"{tkey(t)}_volume_km3"] = self.omz_volume[y, a, r]
                rows.append(row)
        df = pd.DataFrame(rows)
        if self.members is None:
            return df
        std = yearly_std_columns(list(df.columns), self.members, self.thresholds, tkey)
        cols = [c for base in df.columns for c in (base, f"{base}_std") if c in df.columns or c in std]
        return df.assign(**std)[cols]

    def series(self) -> dict:
        out = {}
        for r, region in enumerate(self.regions):
            out[f"inventory_mol|{region}"] = ({"region": region, "threshold": np.nan, "units": "mol"},
                                              self.inventory[:, r])
            for a, t in enumerate(self.thresholds):
                out[f"{tkey(t)}_area_km2|{region}"] = ({"region": region, "threshold": t, "units": "km2"},
                                                        self.omz_area[:, a, r])
                out[f"{tkey(t)}_volume_km3|{region}"] = ({"region": region, "threshold": t, "units": "km3"},
                                                          self.omz_volume[:, a, r])
            out[f"o2_mean_umol_kg|{region}"] = ({"region": region, "threshold": np.nan, "units": "umol kg-1"},
                                                self.o2_mean[:, r])
        return out

    def member_series(self) -> dict[str, np.ndarray]:
        """The members' series [member, year] under the names of :meth:`series`."""
        m = self.members
        out = {}
        for r, region in enumerate(self.regions):
            out[f"inventory_mol|{region}"] = m.inventory[:, :, r]
            for a, t in enumerate(self.thresholds):
                out[f"{tkey(t)}_area_km2|{region}"] = m.omz_area[:, :, a, r]
                out[f"{tkey(t)}_volume_km3|{region}"] = m.omz_volume[:, :, a, r]
            out[f"o2_mean_umol_kg|{region}"] = m.o2_mean[:, :, r]
        return out

    def trend_table(self) -> pd.DataFrame:
        series = self.series()
        rows = trend_rows(self.years, series)
        if self.members is not None:
            ms = self.member_series()
            for row in rows:
                row.update(trend_uncertainty(self.years, series[row["series"]][1], ms[row["series"]]))
        df = pd.DataFrame(rows)
        df["series"] = df["series"].str.split("|").str[0]
        return df

    def to_dataset(self) -> xr.Dataset:
        """The yearly series as CF-1.8 (IOOS compliance-checker: no errors, no warnings): other dimensions left of
        ``time``; the region names a string auxiliary coordinate ``region_name`` (a CF §6.1 label; no
        ``standard_name: region``, our basins are not CF's standardized regions), since a coordinate variable must
        be numeric (select with ``ds.set_xindex("region_name").sel(region_name=...)``)."""
        ry, rty = ("region", "time"), ("threshold", "region", "time")
        thr = ("threshold", np.asarray(self.thresholds, float), {"long_name": "OMZ threshold (O2 below)",
                                                                  "units": "umol kg-1"})
        ds = xr.Dataset(
            {"o2_inventory": (ry, self.inventory.T, {"long_name": "dissolved oxygen inventory", "units": "mol"}),
             "o2_mean": (ry, self.o2_mean.T,
                         {"long_name": "volume-weighted mean dissolved oxygen", "units": "umol kg-1",
                          "standard_name": "moles_of_oxygen_per_unit_mass_in_sea_water",
                          "comment": "mean over the region's ocean cells, all depths, weighted by cell volume"}),
             "ocean_volume": (ry, self.ocean_volume.T, {"long_name": "volume of the ocean cells", "units": "km3"}),
             "omz_area": (rty, self.omz_area.transpose(1, 2, 0),
                          {"long_name": "area of columns with O2 below threshold at any depth", "units": "km2"}),
             "omz_volume": (rty, self.omz_volume.transpose(1, 2, 0),
                            {"long_name": "volume of ocean with O2 below threshold", "units": "km3"}),
             "year": ("time", self.years.astype(np.int32), {"long_name": "calendar year"})},
            coords={"time": ("time", self.time, {"standard_name": "time", "axis": "T"}), "threshold": thr,
                    "region_name": ("region", np.array(self.regions, dtype=object),   # not CF's region list:
                                    {"long_name": "global or basin (oxygen_hpc.products.basins)"})})
        ds.attrs.update({"Conventions": "CF-1.8", "title": "oxygen_hpc products: OMZ, O2 inventory, trends",
                         "source": "oxygen-hpc products", **{k: str(v) for k, v in self.attrs.items()}})
        return ds if self.members is None else dataset_std_variables(ds, self.members)


def compute(cfg: ProductsConfig, on_year=None) -> Products:
    """Stream ``cfg.input`` year by year; ``on_year(n, year, o2, ocean, std, src)`` is called for each year.

    xarray keeps at most ``OPEN_FILES`` yearly files open (each open file holds its HDF5 chunk cache), so memory
    stays at about one year's grid however many years the input holds."""
    with xr.set_options(file_cache_maxsize=OPEN_FILES):
        return _compute(cfg, on_year)


def _compute(cfg: ProductsConfig, on_year) -> Products:
    src = Source(cfg.input, cfg.variable, cfg.std_variable, cfg.earth_radius_km, cfg.geometry_file,
                 cfg.member_variable)
    try:
        regions: dict = {"global": None}
        if cfg.basins:
            regions.update(bas.basin_masks(src.lat, src.lon))
        ts_ds = None
        if cfg.density_from_ts:
            ts_ds = xr.open_dataset(cfg.ts_file) if cfg.ts_file else src.ds
            if "temperature" not in ts_ds or "salinity" not in ts_ds:
                raise InputError("density_from_ts needs 'temperature' and 'salinity' (set ts_file)")
        ny, nr, nt = len(src.years), len(regions), len(cfg.thresholds)
        inv, mean, ovol = (np.zeros((ny, nr)) for _ in range(3))
        area, vol = np.zeros((ny, nt, nr)), np.zeros((ny, nt, nr))
        mem = Members.zeros(src.n_members, ny, nt, nr) if src.n_members >= 2 else None
        for n in range(ny):
            o2, ocean, v, std = src.year(n)
            rho = cfg.density
            if ts_ds is not None:
                rho = density_gsw(*src.ts(n, ts_ds), src.depth, src.lat, src.lon)
            inv[n], mean[n], ovol[n], area[n], vol[n] = year_values(o2, ocean, v, rho, src.area_m2, cfg.thresholds,
                                                                   regions)
            for m in range(mem.n if mem is not None else 0):       # one member's field in memory at a time
                mi, mm, _, ma, mv = year_values(src.member(n, m, ocean), ocean, v, rho, src.area_m2, cfg.thresholds,
                                                regions)
                mem.set(m, n, mi, mm, ma, mv)
            if on_year is not None:
                on_year(n, int(src.years[n]), o2, ocean, std, src)
        attrs = {"source_files": ", ".join(str(f) for f in src.files[:3]) + (" ..." if len(src.files) > 3 else ""),
                 "cell_volume": f"cell_volume of {cfg.geometry_file or 'the input'}" if src.volume_given else
                 f"sphere R={cfg.earth_radius_km} km x layer thickness between level mid-depths"
                 + (", cut at bottom_depth" if src.bottom is not None else ""),
                 "density": "gsw in-situ from temperature/salinity" if ts_ds is not None
                 else f"constant {cfg.density} kg m-3"}
        if mem is not None:
            attrs["ensemble"] = f"{mem.n} members ({cfg.member_variable}); spread = population std across members"
        return Products(src.years.copy(), src.time.copy(), list(regions), list(cfg.thresholds), inv, mean, ovol,
                        area, vol, attrs, mem)
    finally:
        src.close()


def year_values(o2, ocean, volume, rho, area_m2, thresholds, regions: dict):
    """One year's (inventory [region], mean O2 [region], ocean volume km³ [region], OMZ area km² and volume km³
    [threshold, region]) of the field ``o2`` on the ``ocean`` cells."""
    nr = len(regions)
    inv, mean, ovol = np.zeros(nr), np.zeros(nr), np.zeros(nr)
    for r, cols in enumerate(regions.values()):
        inv[r] = inventory_mol(o2, ocean, volume, rho, cols)
        mean[r] = mean_o2(o2, ocean, volume, cols)
        ovol[r] = float(volume[ocean if cols is None else ocean & cols[None]].sum() / 1e9)
    area, vol = omz_table(o2, ocean, area_m2, volume, thresholds, regions)
    return inv, mean, ovol, area, vol


def run(cfg: ProductsConfig, log=lambda m: print(m, flush=True)) -> tuple[Products, dict[str, list[Path]]]:
    """Compute and write every product; returns the products and {kind: [paths]}."""
    out = Path(cfg.out)
    (out / "maps").mkdir(parents=True, exist_ok=True)
    (out / "timeseries").mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {"maps": [], "timeseries": []}
    state = {}

    def each_year(n, year, o2, ocean, std, src):
        ny = len(src.years)
        if n == 0 or (n + 1) % max(1, ny // 10) == 0 or n + 1 == ny:        # ~10 progress lines per run
            log(f"products: year {year} ({n + 1}/{ny})")
        if cfg.map_depths:
            if "trend" not in state:
                state["trend"] = TrendMaps(src.depth, src.lat, src.lon, cfg.map_depths)
            state["trend"].add(year, o2, ocean)
        if not cfg.maps:
            return
        wanted = cfg.map_years if cfg.map_years is not None else sorted({int(src.years[0]), int(src.years[-1])})
        state["wanted"] = wanted
        if year not in wanted:
            return
        for d in cfg.map_depths:
            k = int(np.argmin(np.abs(src.depth - d)))
            lev = np.where(ocean[k], o2[k], np.nan)
            sl = None if std is None else np.where(ocean[k], std[k], np.nan)
            p = out / "maps" / f"o2_{year}_{src.depth[k]:g}m.png"
            written["maps"].append(plots.plot_map(p, src.lat, src.lon, lev, sl, year, float(src.depth[k])))

    prod = compute(cfg, each_year)
    missing = sorted(set(state.get("wanted", [])) - set(prod.years.tolist()))
    if missing:
        log(f"products: map years not in the input, skipped: {missing}")
    yearly, trends = prod.yearly_table(), prod.trend_table()
    write_csv(yearly, out / "products_yearly.csv")
    write_csv(trends, out / "trends.csv")
    ds = prod.to_dataset()
    if "trend" in state:                      # per-cell trend maps at the map depths (oxygen_hpc.products.trend_maps)
        ds = ds.merge(state["trend"].dataset())
        if cfg.maps:
            written["maps"] += state["trend"].plot(out / "maps")
    write_netcdf(ds, out / "products.nc")
    if cfg.timeseries:
        written["timeseries"] += plots.timeseries(prod, out / "timeseries")
    written["tables"] = [out / "products_yearly.csv", out / "trends.csv", out / "products.nc"]
    return prod, written
