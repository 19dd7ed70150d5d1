"""World Ocean Atlas and EN4 files read into one form (:class:`Field`), with checks whose errors name the file.

WOA18 / WOA23 (NOAA NCEI; one file per variable and period, e.g. ``woa23_decav91C0_t00_01.nc`` = temperature,
annual, 1°; ``t01``…``t12`` monthly; ``s``… salinity): dims ``(time=1, depth, lat, lon)``; ``t_an`` objectively
analysed in-situ temperature (``degrees_celsius``, ``sea_water_temperature``), ``s_an`` practical salinity (units
``1``, ``sea_water_salinity``); ``depth`` in m, positive down, with ``depth_bnds``; ``lat``/``lon`` cell centres
(lon -179.5…179.5) with ``lat_bnds``/``lon_bnds``; ``time`` in "months since 1955-01-01 00:00:00", not decoded: a
WOA file is one climatological period whatever its time value, and several files (the 12 months) are averaged.

EN4 (Met Office Hadley Centre, ``EN.4.2.2.f.analysis.g10.YYYYMM.nc``): one month per file, dims ``(time=1,
depth=42, lat=173, lon=360)``; ``temperature`` = *potential* temperature in kelvin, ``salinity`` in psu; ``lon``
1…360, ``lat`` -83…89; ``time`` in "days since 1800-01-01 00:00:00". A year is the mean of its monthly files.

Errors (:class:`SourceError`, one line starting with the file): a missing variable (listing what the file has),
units that are not temperature / practical salinity / metres, dimensions in another order or a time axis longer
than one step, and values outside physical ranges after conversion (the usual sign of a units attribute that lies,
e.g. kelvin labelled °C).
"""
from __future__ import annotations

import glob
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WOA_VARS = {"t_an": "temperature", "s_an": "salinity"}
EN4_VARS = {"temperature": "temperature", "salinity": "salinity"}
TEMP_OFFSET = {"degrees_celsius": 0.0, "degree_celsius": 0.0, "degrees_c": 0.0, "degree_c": 0.0, "degc": 0.0,
               "deg_c": 0.0, "celsius": 0.0, "kelvin": -273.15, "k": -273.15, "degk": -273.15, "degrees_k": -273.15}
SAL_UNITS = {"1", "psu", "pss-78", "pss78", "0.001", "1e-3", "unitless", "dimensionless", "practical_salinity_unit"}
DEPTH_UNITS = {"m", "meter", "meters", "metre", "metres"}
RANGES = {"temperature": (-3.0, 40.0), "salinity": (0.0, 45.0)}
COORDS = {"depth": ("depth", "lev", "z"), "lat": ("lat", "latitude"), "lon": ("lon", "longitude")}


class SourceError(ValueError):
    """An input file that cannot be used; ``str()`` is one line starting with the file."""


@dataclass
class Field:
    """One variable on its source grid: ``values`` [nlev, nlat, nlon] float32 (°C or PSS-78, NaN off the ocean),
    ``lon`` ascending in [-180, 180); ``*_extent`` = what the cells cover (from the bounds variables)."""

    var: str
    values: np.ndarray
    depth: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    depth_extent: tuple[float, float]
    lat_extent: tuple[float, float]
    lon_extent: tuple[float, float]
    periodic: bool
    potential: bool
    files: list[str] = field(default_factory=list)

    def same_grid(self, other: "Field") -> bool:
        return all(a.shape == b.shape and np.allclose(a, b) for a, b in
                   ((self.depth, other.depth), (self.lat, other.lat), (self.lon, other.lon)))


def expand(specs: list[str]) -> list[str]:
    """Files, folders (every ``*.nc`` below, sorted) or globs → sorted unique file paths; a spec that matches
    nothing is an error naming it."""
    out: list[str] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            hits = sorted(str(f) for f in p.rglob("*.nc") if f.is_file())
        elif p.is_file():
            hits = [str(p)]
        else:
            hits = sorted(f for f in glob.glob(spec) if os.path.isfile(f))
        if not hits:
            raise SourceError(f"{spec}: no NetCDF file there (a file, a folder of *.nc files or a glob)")
        out += hits
    return sorted(dict.fromkeys(out))


def variables(path: str) -> set[str]:
    import netCDF4

    try:
        with netCDF4.Dataset(path) as ds:
            return set(ds.variables)
    except OSError as e:
        raise SourceError(f"{path}: not a readable NetCDF file ({e})") from None


def _coord(ds, key: str, path: str) -> str:
    for name in COORDS[key]:
        if name in ds.variables:
            return name
    raise SourceError(f"{path}: no {key} coordinate (looked for {', '.join(COORDS[key])})")


def _extent(ds, name: str, c: np.ndarray) -> tuple[float, float]:
    b = ds[name].attrs.get("bounds")
    if b and b in ds.variables:
        v = np.asarray(ds[b].values, float)
        return float(np.nanmin(v)), float(np.nanmax(v))
    if c.size == 1:
        return float(c[0]), float(c[0])
    return float(c[0] - (c[1] - c[0]) / 2), float(c[-1] + (c[-1] - c[-2]) / 2)


def read_field(path: str, name: str, var: str, potential_default: bool = False) -> Field:
    """Variable ``name`` of ``path`` as ``var`` (temperature or salinity), converted and checked."""
    import xarray as xr

    try:
        ds = xr.open_dataset(path, decode_times=False, mask_and_scale=True)
    except (OSError, ValueError) as e:
        raise SourceError(f"{path}: not a readable NetCDF file ({e})") from None
    with ds:
        if name not in ds.variables:
            raise SourceError(f"{path}: no variable '{name}' (has: {', '.join(sorted(ds.data_vars))})")
        da = ds[name]
        dz, dy, dx = (_coord(ds, k, path) for k in ("depth", "lat", "lon"))
        dims = tuple(da.dims)
        if dims and dims[0] == "time":
            if da.sizes["time"] != 1:
                raise SourceError(f"{path}: '{name}' has {da.sizes['time']} time steps; expected one per file")
            da, dims = da.isel(time=0), dims[1:]
        if dims != (dz, dy, dx):
            raise SourceError(f"{path}: '{name}' has dims {tuple(da.dims)}, expected (time, {dz}, {dy}, {dx})")
        units = str(da.attrs.get("units", "")).strip()
        values = np.asarray(da.values, np.float32)
        if var == "temperature":
            if units.lower() not in TEMP_OFFSET:
                raise SourceError(f"{path}: '{name}' has units '{units}', expected degrees_celsius or kelvin")
            values = values + np.float32(TEMP_OFFSET[units.lower()])
        elif units.lower() not in SAL_UNITS:
            raise SourceError(f"{path}: '{name}' has units '{units}', expected practical salinity (1, psu)")
        std = str(da.attrs.get("standard_name", ""))
        potential = "potential" in std or (potential_default and std in ("", "sea_water_potential_temperature"))
        lo, hi = RANGES[var]
        ok = np.isfinite(values)
        if not ok.any():
            raise SourceError(f"{path}: '{name}' holds no finite value")
        vmin, vmax = float(values[ok].min()), float(values[ok].max())
        if vmin < lo or vmax > hi:
            raise SourceError(f"{path}: '{name}' spans {vmin:.4g}…{vmax:.4g} after conversion from '{units}', "
                              f"outside {lo:g}…{hi:g} for {var} (wrong units?)")
        dunits = str(ds[dz].attrs.get("units", "m")).strip().lower()
        if dunits not in DEPTH_UNITS:
            raise SourceError(f"{path}: depth has units '{dunits}', expected m")
        depth = np.asarray(ds[dz].values, float)
        dext = _extent(ds, dz, depth)
        if str(ds[dz].attrs.get("positive", "down")).lower() == "up" or depth.max() <= 0:
            depth, dext = -depth, (-dext[1], -dext[0])
        lat = np.asarray(ds[dy].values, float)
        lon = np.asarray(ds[dx].values, float)
        yext, xext = _extent(ds, dy, lat), _extent(ds, dx, lon)
    return _normalise(Field(var, values, depth, lat, lon, (max(min(dext), 0.0), max(dext)),
                            (max(min(yext), -90.0), min(max(yext), 90.0)), xext, False, potential, [str(path)]))


def _normalise(f: Field) -> Field:
    """Depth and lat ascending, lon wrapped to [-180, 180) and ascending, ``periodic`` if the lons go round."""
    for axis, name in ((0, "depth"), (1, "lat")):
        c = getattr(f, name)
        if c.size > 1 and c[1] < c[0]:
            setattr(f, name, c[::-1].copy())
            f.values = np.flip(f.values, axis=axis)
    lon = (f.lon + 180.0) % 360.0 - 180.0
    order = np.argsort(lon, kind="stable")
    f.lon, f.values = lon[order], np.ascontiguousarray(f.values[:, :, order])
    if f.lon.size > 1:
        step = float(np.median(np.diff(f.lon)))
        f.periodic = abs(f.lon.size * step - 360.0) < step / 2
    if f.periodic:
        f.lon_extent = (-180.0, 180.0)
    elif f.lon.size > 1:
        half = float(np.median(np.diff(f.lon))) / 2
        f.lon_extent = (float(f.lon[0] - half), float(f.lon[-1] + half))
    return f


def mean_field(fields: list[Field], what: str) -> Field:
    """Mean of several periods of one variable on one grid (12 months → a year or a climatology)."""
    first = fields[0]
    for f in fields[1:]:
        if not f.same_grid(first):
            raise SourceError(f"{f.files[0]}: its depth/lat/lon differ from {first.files[0]} ({what} files must "
                              f"share one grid: e.g. not annual WOA files, to 5500 m, with monthly ones, to 1500 m)")
    if len(fields) == 1:
        return first
    with warnings.catch_warnings():            # all-NaN cells (land) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        values = np.nanmean(np.stack([f.values for f in fields]), axis=0).astype(np.float32)
    return Field(first.var, values, first.depth, first.lat, first.lon, first.depth_extent, first.lat_extent,
                 first.lon_extent, first.periodic, first.potential, [p for f in fields for p in f.files])


def read_woa(specs: list[str]) -> tuple[Field, Field]:
    """(temperature, salinity) climatology from WOA files (each sniffed: ``t_an`` or ``s_an``)."""
    files = expand(specs)
    found: dict[str, list[Field]] = {"temperature": [], "salinity": []}
    for path in files:
        names = variables(path)
        hit = [n for n in WOA_VARS if n in names]
        if not hit:
            raise SourceError(f"{path}: not a WOA temperature or salinity file (no t_an or s_an; has: "
                              f"{', '.join(sorted(names))})")
        for n in hit:
            found[WOA_VARS[n]].append(read_field(path, n, WOA_VARS[n]))
    for var, short in (("temperature", "t_an"), ("salinity", "s_an")):
        if not found[var]:
            raise SourceError(f"{', '.join(specs)}: no WOA {var} file ({short}) among {len(files)} file(s)")
    t, s = mean_field(found["temperature"], "WOA"), mean_field(found["salinity"], "WOA")
    if not t.same_grid(s):
        raise SourceError(f"{s.files[0]}: WOA salinity is on another grid than temperature ({t.files[0]})")
    return t, s


def en4_months(specs: list[str]) -> dict[int, list[tuple[int, str]]]:
    """{year: [(month, file), …]} of EN4 monthly analyses (time decoded from each file)."""
    import cftime
    import netCDF4

    out: dict[int, list[tuple[int, str]]] = {}
    for path in expand(specs):
        try:
            with netCDF4.Dataset(path) as ds:
                missing = [v for v in (*EN4_VARS, "time") if v not in ds.variables]
                if missing:
                    raise SourceError(f"{path}: not an EN4 analysis file (no {', '.join(missing)}; has: "
                                      f"{', '.join(sorted(ds.variables))})")
                t = ds["time"]
                if t.size != 1:
                    raise SourceError(f"{path}: {t.size} time steps; EN4 analyses hold one month per file")
                d = cftime.num2date(t[:], t.units, getattr(t, "calendar", "standard"))
                d = np.atleast_1d(d)[0]
        except OSError as e:
            raise SourceError(f"{path}: not a readable NetCDF file ({e})") from None
        except (AttributeError, ValueError) as e:
            raise SourceError(f"{path}: time cannot be decoded ({e})") from None
        months = out.setdefault(int(d.year), [])
        if any(m == d.month for m, _ in months):
            other = next(p for m, p in months if m == d.month)
            raise SourceError(f"{path}: a second file for {d.year}-{d.month:02d} (also {other})")
        months.append((int(d.month), str(path)))
    return {y: sorted(v) for y, v in sorted(out.items())}


def read_en4_year(files: list[str]) -> tuple[Field, Field]:
    """(potential temperature °C, salinity) mean of one year's monthly EN4 files."""
    t = [read_field(p, "temperature", "temperature", potential_default=True) for p in files]
    s = [read_field(p, "salinity", "salinity") for p in files]
    return mean_field(t, "EN4"), mean_field(s, "EN4")
