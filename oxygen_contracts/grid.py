"""The model grid: regular lon/lat cells, standard depth levels, yearly steps, and zones.

A cell id is the flat index of (level, lat, lon): ``cell = (k * nlat + j) * nlon + i``; a node is a (cell, year).
Cell centres: ``lon_i = -180 + (i + 0.5) * dlon``, ``lat_j = -90 + (j + 0.5) * dlat``. A depth is binned to the
nearest standard level (bin edges at the midpoints; the last bin ends half a gap below the last level).
Zones default to 8 longitude x 4 latitude tiles (the authors' 32 areas).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oxygen_contracts.config import ConfigError

# The 33 World Ocean Atlas standard levels used by the production grid (m).
WOA_LEVELS = (0, 10, 20, 30, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 600, 700, 800, 900, 1000,
              1100, 1200, 1300, 1400, 1500, 1750, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500)


@dataclass(frozen=True)
class GridSpec:
    """Grid definition (config block ``grid``).

    Args:
        resolution_deg: cell size in degrees (lon and lat); must divide 180.
        depth_levels: standard depths in m, strictly increasing, first >= 0.
        year_start, year_end: inclusive range of yearly steps.
        zones_lon, zones_lat: zone tiling (zones_lon x zones_lat tiles).
    """

    resolution_deg: float = 1.0
    depth_levels: tuple[float, ...] = tuple(float(d) for d in WOA_LEVELS)
    year_start: int = 1920
    year_end: int = 2023
    zones_lon: int = 8
    zones_lat: int = 4

    def __post_init__(self):
        r = self.resolution_deg
        if not (0 < r <= 90) or abs(180 / r - round(180 / r)) > 1e-9:
            raise ConfigError("grid.resolution_deg", f"must be > 0 and divide 180 exactly, got {r}")
        d = np.asarray(self.depth_levels, dtype=float)
        if d.size < 1 or d[0] < 0 or np.any(np.diff(d) <= 0):
            raise ConfigError("grid.depth_levels", "must be non-empty, >= 0 and strictly increasing")
        if self.year_end < self.year_start:
            raise ConfigError("grid.year_end", f"must be >= year_start ({self.year_start}), got {self.year_end}")
        if self.zones_lon < 1 or self.zones_lon > self.nlon:
            raise ConfigError("grid.zones_lon", f"must be between 1 and nlon ({self.nlon}), got {self.zones_lon}")
        if self.zones_lat < 1 or self.zones_lat > self.nlat:
            raise ConfigError("grid.zones_lat", f"must be between 1 and nlat ({self.nlat}), got {self.zones_lat}")

    # -- sizes and coordinates -------------------------------------------------------------------------------
    @property
    def nlon(self) -> int:
        return int(round(360 / self.resolution_deg))

    @property
    def nlat(self) -> int:
        return int(round(180 / self.resolution_deg))

    @property
    def nlev(self) -> int:
        return len(self.depth_levels)

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.year_start, self.year_end + 1)

    @property
    def ncells(self) -> int:
        return self.nlev * self.nlat * self.nlon

    @property
    def n_zones(self) -> int:
        return self.zones_lon * self.zones_lat

    @property
    def lon(self) -> np.ndarray:
        return -180 + (np.arange(self.nlon) + 0.5) * self.resolution_deg

    @property
    def lat(self) -> np.ndarray:
        return -90 + (np.arange(self.nlat) + 0.5) * self.resolution_deg

    @property
    def depth(self) -> np.ndarray:
        return np.asarray(self.depth_levels, dtype=float)

    def depth_edges(self) -> np.ndarray:
        d = self.depth
        if d.size == 1:
            return np.array([0.0, max(d[0] * 2, 10.0)])
        mids = (d[1:] + d[:-1]) / 2
        return np.concatenate([[0.0], mids, [d[-1] + (d[-1] - d[-2]) / 2]])

    # -- indexing --------------------------------------------------------------------------------------------
    def cell_id(self, k, j, i):
        return (np.asarray(k, np.int64) * self.nlat + j) * self.nlon + i

    def unravel(self, cell):
        cell = np.asarray(cell, np.int64)
        i = cell % self.nlon
        j = (cell // self.nlon) % self.nlat
        k = cell // (self.nlon * self.nlat)
        return k, j, i

    def locate(self, lat, lon, depth):
        """Indices (k, j, i) of each point; -1 where the point is off the grid (depth out of range, NaN)."""
        lat = np.asarray(lat, float)
        lon = (np.asarray(lon, float) + 180.0) % 360.0 - 180.0
        depth = np.asarray(depth, float)
        r = self.resolution_deg
        i = np.floor((lon + 180.0) / r).astype(np.int64)
        j = np.floor((lat + 90.0) / r).astype(np.int64)
        i = np.clip(i, 0, self.nlon - 1)
        j = np.clip(j, 0, self.nlat - 1)
        edges = self.depth_edges()
        k = np.searchsorted(edges, depth, side="right") - 1
        bad = ~np.isfinite(lat) | ~np.isfinite(lon) | ~np.isfinite(depth) | (depth < 0) | (k >= self.nlev) | (np.abs(lat) > 90)
        k = np.where(bad, -1, k)
        return k, np.where(bad, -1, j), np.where(bad, -1, i)

    def zone_of(self, j, i):
        """Zone id of column (j, i) by its centre: latitude band major, longitude band minor.

        Bands are equal in degrees (360/zones_lon, 180/zones_lat), so any resolution works."""
        zi = np.minimum((self.lon[np.asarray(i)] + 180.0) // (360.0 / self.zones_lon), self.zones_lon - 1)
        zj = np.minimum((self.lat[np.asarray(j)] + 90.0) // (180.0 / self.zones_lat), self.zones_lat - 1)
        return (zj * self.zones_lon + zi).astype(np.int64)

    # -- land ------------------------------------------------------------------------------------------------
    def ocean_fraction(self, subsample: int = 4) -> np.ndarray:
        """[nlat, nlon] fraction of each cell that is ocean, from the real land mask (global-land-mask)."""
        from global_land_mask import globe

        r = self.resolution_deg
        off = (np.arange(subsample) + 0.5) / subsample * r
        lats = (-90 + np.arange(self.nlat)[:, None] * r + off[None, :]).ravel()
        lons = (-180 + np.arange(self.nlon)[:, None] * r + off[None, :]).ravel()
        lats = np.clip(lats, -89.999, 89.999)
        LA, LO = np.meshgrid(lats, lons, indexing="ij")
        ocean = globe.is_ocean(LA, LO).astype(float)
        return ocean.reshape(self.nlat, subsample, self.nlon, subsample).mean(axis=(1, 3))

    def to_dict(self) -> dict:
        return {"resolution_deg": self.resolution_deg, "depth_levels": list(self.depth_levels),
                "year_start": self.year_start, "year_end": self.year_end,
                "zones_lon": self.zones_lon, "zones_lat": self.zones_lat}

    @classmethod
    def from_dict(cls, d: dict) -> "GridSpec":
        """The inverse of :meth:`to_dict` (a manifest's or a NetCDF file's ``grid``); validated, and a missing or
        unknown key raises :class:`ConfigError` naming it."""
        if not isinstance(d, dict):
            raise ConfigError("grid", f"expected a mapping, got {type(d).__name__}")
        names = ("resolution_deg", "depth_levels", "year_start", "year_end", "zones_lon", "zones_lat")
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ConfigError(f"grid.{unknown[0]}", f"unknown key (known: {', '.join(names)})")
        missing = [k for k in names if k not in d]
        if missing:
            raise ConfigError(f"grid.{missing[0]}", "missing")
        try:
            return cls(resolution_deg=float(d["resolution_deg"]),
                       depth_levels=tuple(float(v) for v in d["depth_levels"]),
                       year_start=int(d["year_start"]), year_end=int(d["year_end"]),
                       zones_lon=int(d["zones_lon"]), zones_lat=int(d["zones_lat"]))
        except (TypeError, ValueError) as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError("grid", f"not a grid ({e})") from None
