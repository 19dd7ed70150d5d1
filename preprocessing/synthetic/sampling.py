"""Sampling like history, one year at a time.

Casts per year follow ``sampling.casts_per_year`` × ``scale`` (Poisson). Sources: Argo BGC floats (profiles with
oxygen only; floats live ``argo_lifetime_years`` and drift), repeat hydrography lines (CCHDO and GLODAP, from
``cruise_start``), GEOTRACES sections (from ``geotraces_start``) and WOD for every other cast (a share carries
oxygen; the rest are T/S casts). WOD positions are biased to the northern hemisphere, coasts and shipping lanes
early on and concentrated on a static, seeded set of favoured columns (history revisits the same places).
Levels sit near the grid's standard depths (jittered, always binning to the same level), above the bottom.
Values = truth at the exact position (with the ocean's variability, ``Ocean.point_fields``) + within-cast
(eddy / representation) O2 noise correlated down each cast (``variability.cast_noise_*``; nutrients move with it by
Redfield; drawn from its own random stream) + instrument noise, rounded to the precision the formats carry; O2 is
capped at 115 % of solubility below 150 m (ingest rejects > 120 % below 200 m as a fault).
No observation lies south of ``MIN_OBS_LAT`` (85.9°S): TEOS-10 (gsw) has no absolute-salinity anomaly south of
86°S, so solubility and density — hence a cast's oxygen, the ml/l conversion and ingest's supersaturation check —
would be NaN there (and no real cast exists there); columns reaching further south are sampled north of it only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from preprocessing import units
from preprocessing.synthetic.bathymetry import Bathymetry
from preprocessing.synthetic.config import SynthConfig, interp_knots
from preprocessing.synthetic.ocean import Ocean

WOD, CCHDO, ARGO, GLODAP, GEOTRACES = 0, 1, 2, 3, 4
SOURCE_NAMES = ("wod", "cchdo", "argo", "glodap", "geotraces")
VALUE_KEYS = ("temperature", "salinity", "oxygen", "phosphate", "nitrate", "silicate")
MIN_OBS_LAT = -85.9   # gsw.SA_from_SP is NaN south of 86°S; margin for duplicate jitter and 4-decimal rounding
SHIPS = ("33RO", "318M", "49NZ", "06AQ", "74DI", "35A3", "64PE", "09AR", "29HE", "90KD")


@dataclass
class YearCasts:
    year: int
    cast: dict      # per cast: src, lat, lon, time (datetime64[s]), cruise, station, has_o2, has_nut, bottom, dup_of
    level: dict     # per level: cast, depth, pressure, VALUE_KEYS..., solubility, fault
    cruise_names: dict  # cruise id -> name (expocode / section / WMO)


class Sampler:
    def __init__(self, cfg: SynthConfig, bathy: Bathymetry, ocean: Ocean):
        self.cfg, self.s, self.b, self.ocean, self.g = cfg, cfg.sampling, bathy, ocean, cfg.grid
        rng = np.random.default_rng([cfg.seed, 2])
        self.max_depth = float(self.g.depth_edges()[-1]) - 1.0
        cols = np.argwhere(bathy.column)
        self.cols = cols
        self.favour = rng.lognormal(0.0, 1.6, len(cols))
        self.lines = [self._line(rng) for _ in range(self.s.n_lines)]
        self.floats = {k: np.zeros(0) for k in ("wmo", "lat", "lon", "cycle", "death")}
        self.next_wmo = 5900000 + int(rng.integers(0, 90000))
        self.next_cruise = 1
        self.next_section = 1

    # -- geometry --------------------------------------------------------------------------------------------
    def _col_ok(self, lat, lon, min_bottom):
        k, j, i = self.g.locate(lat, lon, np.zeros_like(lat))
        ok = (j >= 0) & self.b.column[np.maximum(j, 0), np.maximum(i, 0)]
        return ok & (np.nan_to_num(self.b.bottom[np.maximum(j, 0), np.maximum(i, 0)]) >= min_bottom)

    def _line(self, rng, min_stations=5):
        for _ in range(200):
            c = self.cols[rng.integers(len(self.cols))]
            lat0, lon0 = self.g.lat[c[0]], self.g.lon[c[1]]
            if abs(lat0) > 65:
                continue
            ang = rng.choice([0.0, 90.0, 45.0, 135.0])
            length = rng.uniform(25, 60)
            n = int(length / self.s.station_spacing_deg) + 1
            d = np.linspace(-length / 2, length / 2, n)
            lat = np.clip(lat0 + d * np.sin(np.deg2rad(ang)), -78, 78)
            lon = units.wrap_lon(lon0 + d * np.cos(np.deg2rad(ang)))
            ok = self._col_ok(lat, lon, 1000.0)
            if ok.sum() >= min_stations:
                return lat[ok], lon[ok]
        return np.array([lat0]), np.array([lon0])

    def _wod_positions(self, rng, n, year):
        lat, lon = self.g.lat[self.cols[:, 0]], self.g.lon[self.cols[:, 1]]
        e = np.clip((self.s.early_bias_until - year) / 50.0, 0, 1)
        coast = np.exp(-self.b.coast_km[self.cols[:, 0], self.cols[:, 1]] / 500.0)
        lanes = (np.exp(-((lat - 45) / 7) ** 2) * ((lon > -75) & (lon < 0))
                 + np.exp(-((lat - 35) / 7) ** 2) * ((lon > 130) | (lon < -120)))
        w = self.favour * (1 + 2 * coast + e * (4 * (lat > 0) + 8 * coast + 6 * lanes)) * (1 - 0.9 * e * (lat < -40))
        r = self.g.resolution_deg
        south = -90 + self.cols[:, 0] * r
        north = south + r
        w = w * (north > MIN_OBS_LAT + 0.1)   # a column wholly south of MIN_OBS_LAT is never observed
        pick = rng.choice(len(self.cols), size=n, p=w / w.sum())
        u = rng.uniform(0.02, 0.98, n)
        la = -90 + (self.cols[pick, 0] + u) * r
        cut = south[pick] < MIN_OBS_LAT           # only the part of the column north of MIN_OBS_LAT
        la[cut] = MIN_OBS_LAT + u[cut] * (north[pick][cut] - MIN_OBS_LAT)
        lo = -180 + (self.cols[pick, 1] + rng.uniform(0.02, 0.98, n)) * r
        return la, lo

    # -- casts -----------------------------------------------------------------------------------------------
    def _times(self, rng, year, n, start_day=None, step_days=None):
        if start_day is None:
            days = rng.uniform(1.5, 363.0, n)
        else:
            days = np.clip(start_day + step_days * np.arange(n), 1.5, 363.0)
        base = np.datetime64(f"{year}-01-01T00:00:00", "s")
        return base + np.round(days * 86400).astype("timedelta64[s]")

    def _levels(self, rng, lat, lon, maxdepth, keep):
        """Depth targets near standard levels for every cast; returns (cast index, depth)."""
        d = self.g.depth
        e = self.g.depth_edges()
        bottom = self.b.bottom[self.g.locate(lat, lon, np.zeros_like(lat))[1:]]
        lim = np.minimum(np.minimum(maxdepth, np.nan_to_num(bottom, nan=0.0)), self.max_depth)
        m = (d[None, :] <= lim[:, None]) & (rng.random((len(lat), len(d))) < keep)
        m[:, 0] = True
        ci, li = np.nonzero(m)
        lo = (e[li] - d[li]) * 0.4
        hi = (e[li + 1] - d[li]) * 0.4
        depth = np.maximum(d[li] + rng.uniform(lo, hi), 0.5)
        return ci, depth

    def _casts(self, rng, src, lat, lon, time, maxdepth, keep, has_o2, cruise, station):
        ci, depth = self._levels(rng, lat, lon, maxdepth, keep)
        n = len(lat)
        cast = {"src": np.full(n, src, np.int8), "lat": np.round(lat, 4), "lon": np.round(lon, 4), "time": time,
                "cruise": np.asarray(cruise, np.int64), "station": np.asarray(station, np.int64),
                "has_o2": np.asarray(has_o2, bool), "has_nut": np.asarray(has_o2, bool).copy(),
                "dup_of": np.full(n, -1, np.int64)}
        return cast, ci, depth

    def sample(self, year: int, rng) -> YearCasts:
        s, scale = self.s, self.cfg.scale
        n_total = rng.poisson(scale * interp_knots(s.casts_per_year, year, log=True))
        parts, names = [], {}
        # Argo BGC floats
        if year >= s.argo_start:
            n_o2 = n_total * interp_knots(s.argo_share, year) * interp_knots(s.argo_oxygen_share, year)
            parts.append(self._argo(rng, year, n_o2, names))
        n_used = sum(len(p[0]["lat"]) for p in parts)
        # repeat lines and sections
        if year >= s.cruise_start:
            for _ in range(rng.poisson(scale * s.cruises_per_year)):
                li = int(rng.integers(len(self.lines)))
                parts.append(self._cruise(rng, year, *self.lines[li], CCHDO if li % 2 == 0 else GLODAP, names))
        if year >= s.geotraces_start:
            for _ in range(rng.poisson(scale * s.geotraces_per_year)):
                parts.append(self._cruise(rng, year, *self._line(rng), GEOTRACES, names))
        n_used = sum(len(p[0]["lat"]) for p in parts)
        n_wod = max(int(n_total - n_used), 1)
        lat, lon = self._wod_positions(rng, n_wod, year)
        early = year < 1960
        maxd = np.where(early | (rng.random(n_wod) < 0.5), rng.uniform(150, 1500, n_wod), 6000.0)
        o2 = rng.random(n_wod) < interp_knots(s.wod_oxygen_share, year)
        parts.append(self._casts(rng, WOD, lat, lon, self._times(rng, year, n_wod), maxd, 0.85, o2,
                                 np.zeros(n_wod), np.arange(n_wod)))
        parts[-1][0]["has_nut"] &= rng.random(n_wod) < 0.5
        return self._assemble(rng, year, parts, names)

    def _cruise(self, rng, year, lat, lon, src, names):
        n = len(lat)
        cid = self.next_cruise
        self.next_cruise += 1
        start = rng.uniform(1.5, 330.0)
        t = self._times(rng, year, n, start, 0.6)
        day = str(t[0].astype("datetime64[D]")).replace("-", "")
        if src == GEOTRACES:
            basin = "P" if (lon.mean() > 125 or lon.mean() < -75) else ("I" if 25 < lon.mean() < 125 else "A")
            names[cid] = f"G{basin}{self.next_section:02d}"
            self.next_section += 1
        else:
            names[cid] = SHIPS[int(rng.integers(len(SHIPS)))] + day
        la = lat + rng.uniform(-0.05, 0.05, n)
        lo = units.wrap_lon(lon + rng.uniform(-0.05, 0.05, n))
        return self._casts(rng, src, la, lo, t, np.full(n, 6000.0), 0.9, np.ones(n, bool), np.full(n, cid),
                           np.arange(1, n + 1))

    def _argo(self, rng, year, n_o2, names):
        f, s = self.floats, self.s
        alive = f["death"] > year
        f = {k: v[alive] for k, v in f.items()}
        need = int(round(n_o2 / s.argo_profiles_per_float))
        if need > len(f["wmo"]):
            k = need - len(f["wmo"])
            cand = self.cols[rng.integers(len(self.cols), size=4 * k)]
            r = self.g.resolution_deg
            la = -90 + (cand[:, 0] + rng.uniform(0.1, 0.9, 4 * k)) * r
            lo = -180 + (cand[:, 1] + rng.uniform(0.1, 0.9, 4 * k)) * r
            ok = self._col_ok(la, lo, 2000.0) & (np.abs(la) < 70)
            la, lo = la[ok][:k], lo[ok][:k]
            k = len(la)
            new = {"wmo": self.next_wmo + np.arange(k), "lat": la, "lon": lo, "cycle": np.zeros(k),
                   "death": year + rng.integers(1, s.argo_lifetime_years + 1, k)}
            self.next_wmo += k
            f = {key: np.concatenate([f[key], new[key]]) for key in f}
        elif need < len(f["wmo"]):
            f = {k: v[:need] for k, v in f.items()} if need else {k: v[:0] for k, v in f.items()}
        self.floats = f
        nf, ppf = len(f["wmo"]), s.argo_profiles_per_float
        lat = np.empty((nf, ppf))
        lon = np.empty((nf, ppf))
        la, lo = f["lat"].copy(), f["lon"].copy()
        for c in range(ppf):
            tla = np.clip(la + rng.normal(0, 0.3, nf), -75, 75)
            tlo = units.wrap_lon(lo + rng.normal(0, 0.3, nf) / np.maximum(np.cos(np.deg2rad(la)), 0.3))
            ok = self._col_ok(tla, tlo, 1000.0)
            la, lo = np.where(ok, tla, la), np.where(ok, tlo, lo)
            lat[:, c], lon[:, c] = la, lo
        f["lat"], f["lon"] = la, lo
        cyc = f["cycle"][:, None] + 1 + np.arange(ppf)[None, :]
        f["cycle"] = f["cycle"] + ppf
        step = min(10.0, 360.0 / ppf)
        phase = rng.uniform(1.5, 363.0 - step * (ppf - 1), nf)
        days = phase[:, None] + step * np.arange(ppf)[None, :]
        base = np.datetime64(f"{year}-01-01T00:00:00", "s")
        t = (base + np.round(days * 86400).astype("timedelta64[s]")).ravel()
        for w in f["wmo"]:
            names[int(w)] = str(int(w))
        wmo = np.repeat(f["wmo"], ppf)
        return self._casts(rng, ARGO, lat.ravel(), lon.ravel(), t, np.full(nf * ppf, 2000.0), 1.0,
                           np.ones(nf * ppf, bool), wmo, cyc.ravel())

    def _cast_noise(self, f: dict, ci, depth, year) -> None:
        """Within-cast (eddy / representation) O2 noise, AR(1) down each cast over ``cast_noise_depth_m``; the
        nutrients move with it by Redfield (a real water-mass anomaly at that point). Own random stream, so the
        casts, levels and faults drawn do not depend on it."""
        v = self.ocean.v
        if v is None or (v.cast_noise_std == 0 and v.cast_noise_floor == 0) or not len(ci):
            return
        e = np.random.default_rng([self.cfg.seed, 8, year]).standard_normal(len(ci))
        first = np.r_[0, np.flatnonzero(ci[1:] != ci[:-1]) + 1]         # levels are sorted by cast, then depth
        pos = np.arange(len(ci)) - np.repeat(first, np.diff(np.r_[first, len(ci)]))
        for k in range(1, int(pos.max()) + 1):
            rows = np.flatnonzero(pos == k)
            r = np.exp(-np.abs(depth[rows] - depth[rows - 1]) / v.cast_noise_depth_m)
            e[rows] = r * e[rows - 1] + np.sqrt(1.0 - r * r) * e[rows]
        d = self.ocean.cast_noise_std(depth) * e
        o2 = np.maximum(f["oxygen"] + d, 0.2)
        d = o2 - f["oxygen"]
        f["oxygen"] = o2
        f["phosphate"] = np.maximum(f["phosphate"] - d / 170.0, 0.0)
        f["nitrate"] = np.maximum(f["nitrate"] - 16.0 * d / 170.0, 0.0)

    def _assemble(self, rng, year, parts, names) -> YearCasts:
        offs = np.cumsum([0] + [len(p[0]["lat"]) for p in parts])
        cast = {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}
        ci = np.concatenate([p[1] + o for p, o in zip(parts, offs[:-1])]).astype(np.int64)
        depth_t = np.concatenate([p[2] for p in parts])
        lat = cast["lat"][ci]
        pres = np.round(units.pressure_from_depth(depth_t, lat), 1)
        depth = np.round(units.depth_from_pressure(pres, lat), 1)
        f = self.ocean.point_fields(cast["lat"], cast["lon"], ci, depth, year)
        self._cast_noise(f, ci, depth, year)
        src = cast["src"][ci]
        s = self.s
        level = {"cast": ci, "depth": depth, "pressure": pres, "solubility": f["solubility"],
                 "fault": np.zeros(len(ci), np.int8)}
        noise = {"temperature": s.temperature_noise, "salinity": s.salinity_noise, "phosphate": 0.02,
                 "nitrate": 0.2, "silicate": 0.5}
        for k, sd in noise.items():
            level[k] = f[k] + rng.normal(0, sd, len(ci))
        o2sd = np.where(src == ARGO, 2 * s.oxygen_noise, s.oxygen_noise)
        o2 = f["oxygen"] + rng.normal(0, 1, len(ci)) * o2sd
        cap = np.where(depth > 150.0, 1.15 * f["solubility"], 590.0)   # ingest rejects > 120 % below 200 m
        level["oxygen"] = np.clip(np.minimum(o2, cap), 0.2, 590.0)
        for k, dec in (("temperature", 3), ("salinity", 3), ("oxygen", 1), ("phosphate", 2), ("nitrate", 2),
                       ("silicate", 2)):
            level[k] = np.round(np.maximum(level[k], 0.0) if k != "temperature" else level[k], dec)
        cast["bottom"] = np.round(self.b.bottom[self.g.locate(cast["lat"], cast["lon"], cast["lat"] * 0)[1:]], 0)
        return YearCasts(year, cast, level, names)
