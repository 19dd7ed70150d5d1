"""The truth: analytic T, S, DO, PO4, NO3, SiO4 as functions of (lat, lon, depth, year).

- T: surface temperature falling with latitude, a thermocline (e-folding 200–500 m) to ~1–2 °C deep water,
  warming after ``warming_start`` (surface-intensified), ENSO-like anomalies in the eastern tropical Pacific.
- S: subtropical salinity maxima, fresher subpolar surface, saltier Atlantic, 34.7 at depth.
- DO = solubility (gsw O2sol, via ``preprocessing.units.oxygen_solubility``; south of 86°S, where gsw has no
  absolute-salinity anomaly, evaluated at 86°S) − AOU, floored smoothly above 0.
  AOU: older (Pacific/Indian) deep water holds more utilisation, ventilated subtropical gyres less, a tropical
  thermocline maximum, growth after ``warming_start`` (deoxygenation) and five OMZs (ETNP, ETSP, ETNA, Arabian
  Sea, Bay of Bengal; ~100–1000 m) that intensify and widen over the century; ENSO weakens the Pacific OMZs.
- PO4 = PO4_preformed + AOU/170; NO3 = 16·PO4 + a static per-cell noise field (seeded), >= 0.
- Variability covariates cannot explain (``variability`` config; unit fields from ``variability.Variability``):
  heave ζ displaces T, S and the AOU structure together (evaluated at z − ζ·taper(z)), an AOU anomaly of
  standard deviation ``anomaly_std(lat, lon, z)`` (thermocline peak, OMZ margins, a deep floor), and regional
  deoxygenation-trend differences (a static pattern × the post-``warming_start`` ramp).
- ``model``: the numerical-model run (``model_run`` config): its own seed, displaced / weakened / deeper OMZs,
  scaled century trends and a static large-scale AOU bias.

The same functions give the gridded truth (cell centres, standard levels) and the value at an observation's
exact position, so an observation differs from its cell's truth by representation error and noise only.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from preprocessing import units
from oxygen_contracts.grid import GridSpec
from preprocessing.synthetic.config import ModelRunConfig, PhysicsConfig, VariabilityConfig
from preprocessing.synthetic.variability import Variability

GSW_MIN_LAT = -86.0   # gsw.SA_from_SP (absolute-salinity anomaly table) is NaN further south

# (name, lat, lon, lat scale, lon scale, AOU amplitude µmol/kg, ENSO-sensitive)
OMZS = (
    ("ETNP", 13.0, -105.0, 9.0, 22.0, 235.0, True),
    ("ETSP", -11.0, -85.0, 8.0, 15.0, 225.0, True),
    ("ETNA", 12.0, -25.0, 6.0, 11.0, 125.0, False),
    ("ARAB", 16.0, 63.0, 6.0, 8.0, 230.0, False),
    ("BOB", 15.0, 89.0, 5.0, 5.0, 185.0, False),
)


def _band(x, lo, hi, w):
    return 0.5 * (np.tanh((x - lo) / w) - np.tanh((x - hi) / w))


def _peak(z, depth, width):
    return (1.0 - np.exp(-z / 40.0)) * np.exp(-((z - depth) / width) ** 2)


class Ocean:
    def __init__(self, grid: GridSpec, physics: PhysicsConfig, seed: int, variability: VariabilityConfig | None = None,
                 model: ModelRunConfig | None = None):
        self.omzs, self.omz_depth, self.bias_std, trend = OMZS, 420.0, 0.0, 1.0
        if model is not None:
            f = model.trend_factor
            physics = dataclasses.replace(physics, deoxygenation=physics.deoxygenation * f,
                                          omz_intensification=physics.omz_intensification * f,
                                          omz_expansion=physics.omz_expansion * f)
            dla, dlo = model.omz_shift_deg      # offshore: eastern-boundary OMZs poleward + west, northern
            self.omzs = tuple((n, la + (np.sign(la) * dla if lo < 30 else -dla), lo - (abs(dlo) if lo < 30 else 0),
                               sla, slo, amp * model.omz_strength, e)   # Indian ones south
                              for n, la, lo, sla, slo, amp, e in OMZS)
            self.omz_depth, self.bias_std, trend = 420.0 * model.omz_depth_factor, model.bias_std, f
        self.grid, self.p = grid, physics
        self.v = variability if variability is not None and variability.enabled else None
        self.trend_std = self.v.trend_std * trend if self.v else 0.0
        bias = (model.bias_length_km, model.bias_depth_scale_m) if model is not None and model.bias_std > 0 else None
        self.var = Variability(grid, self.v, seed, bias) if self.v else None
        rng = np.random.default_rng([seed, 1])
        years = grid.years
        e = np.zeros(len(years))
        shocks = rng.normal(0, 1, len(years))
        for n in range(len(years)):
            e[n] = (0.55 * e[n - 1] if n else 0.0) + shocks[n] * 0.85
        self.enso = dict(zip(years.tolist(), np.clip(e * physics.enso_amplitude, -2.5, 2.5)))
        self.no3_noise = rng.normal(0, physics.nitrate_noise, (grid.nlev, grid.nlat, grid.nlon)).astype(np.float32)

    # -- pieces ----------------------------------------------------------------------------------------------
    def _ramp_century(self, year):
        return np.clip((year - 1920) / 103.0, 0, 1.2) ** 1.5

    def _ramp_modern(self, year):
        return max(0.0, year - self.p.warming_start) / 50.0

    @staticmethod
    def _basins(lat, lon):
        pac = np.maximum(_band(lon, 125, 180.01, 6), _band(lon, -180.01, -75, 6)) * _band(lat, -60, 62, 4)
        ind = _band(lon, 25, 120, 6) * _band(lat, -60, 30, 4)
        atl = np.clip(1 - pac - ind, 0, 1)
        return pac, ind, atl

    def temperature(self, lat, lon, z, year):
        c = np.cos(np.deg2rad(lat))
        ts = -1.0 + 28.5 * c ** 2 + 1.5 * np.exp(-((lon - 140) / 30) ** 2) * np.exp(-(lat / 15) ** 2)
        td = 0.6 + 1.6 * c
        h = 220 + 380 * np.clip(np.abs(lat) / 60, 0, 1)
        t = td + (ts - td) * np.exp(-z / h)
        t = t + self.p.warming_rate * self._ramp_modern(year) * 50 * np.exp(-z / 600)
        t = t + 1.2 * self.enso[int(year)] * np.exp(-(lat / 9) ** 2) * np.exp(-((lon + 110) / 35) ** 2) * np.exp(-z / 150)
        return np.maximum(t, -1.8)

    def salinity(self, lat, lon, z, basins=None):
        pac, ind, atl = basins or self._basins(lat, lon)
        ss = 34.1 + 1.6 * np.exp(-((np.abs(lat) - 24) / 12) ** 2) + 0.5 * atl - 0.7 * np.exp(-((np.abs(lat) - 62) / 10) ** 2)
        return 34.7 + (ss - 34.7) * np.exp(-z / 600)

    def aou(self, lat, lon, z, year, basins=None):
        pac, ind, atl = basins or self._basins(lat, lon)
        deep = 80 + 105 * pac + 72 * ind
        a = deep * (1 - np.exp(-z / 350)) + 0.35 * deep * np.exp(-((z - 800) / 450) ** 2)
        a = a * (1 - 0.35 * np.exp(-((np.abs(lat) - 28) / 12) ** 2) * np.exp(-z / 900))
        a = a + 55 * np.exp(-(lat / 14) ** 2) * np.exp(-((z - 350) / 250) ** 2)
        a = a * (1 + self.p.deoxygenation * self._ramp_modern(year)) + 4.0
        s = self._ramp_century(year)
        grow = 1 + self.p.omz_intensification * s
        wide = 1 + self.p.omz_expansion * s
        zz = np.maximum(z, 1.0)
        vert = np.exp(-(np.log(zz / self.omz_depth) / 0.8) ** 2)
        enso = self.enso[int(year)]
        for _, la, lo, sla, slo, amp, sens in self.omzs:
            dlon = (lon - lo + 180) % 360 - 180
            k = amp * grow * (1 - 0.1 * enso if sens else 1.0)
            a = a + k * np.exp(-((lat - la) / (sla * wide)) ** 2 - (dlon / (slo * wide)) ** 2) * vert
        return a

    # -- variability ---------------------------------------------------------------------------------------
    def anomaly_std(self, lat, lon, z):
        """Standard deviation (µmol/kg) of the AOU anomaly: thermocline peak + OMZ margins + deep floor."""
        v = self.v
        g = np.zeros(np.broadcast(lat, lon, z).shape)
        vert = np.exp(-(np.log(np.maximum(z, 1.0) / self.omz_depth) / 0.8) ** 2)
        for _, la, lo, sla, slo, _, _ in self.omzs:
            dlon = (lon - lo + 180) % 360 - 180
            g = np.maximum(g, np.exp(-((lat - la) / (1.25 * sla)) ** 2 - (dlon / (1.25 * slo)) ** 2) * vert)
        return v.aou_std * _peak(z, v.peak_depth_m, v.peak_width_m) + 4.0 * v.omz_margin_std * g * (1 - g) + v.deep_std

    @staticmethod
    def heave_taper(z):
        return (1.0 - np.exp(-z / 75.0)) * np.exp(-z / 1000.0)

    def cast_noise_std(self, z):
        v = self.v
        return v.cast_noise_std * _peak(z, v.peak_depth_m, v.peak_width_m) + v.cast_noise_floor

    # -- all fields ------------------------------------------------------------------------------------------
    def fields(self, lat, lon, z, year, no3_noise=None, var: dict | None = None) -> dict:
        """Truth at broadcastable (lat, lon, depth) for ``year``; ``no3_noise`` broadcastable like the result;
        ``var``: unit variability fields (``Variability.grid`` / ``points``) broadcastable like the result."""
        lat, lon, z = np.asarray(lat, float), np.asarray(lon, float), np.asarray(z, float)
        bas = self._basins(lat, lon)                              # before broadcasting: no depth dimension
        p = units.pressure_from_depth(z, lat)                     # nor a longitude one
        lat, lon, z = np.broadcast_arrays(lat, lon, z)
        p = np.broadcast_to(p, z.shape)
        ze, extra = z, 0.0
        if var is not None and self.v is not None:
            ze = np.maximum(z - self.v.heave_std_m * var["heave"] * self.heave_taper(z), 0.0)
            extra = self.anomaly_std(lat, lon, z) * var["aou"]
            extra = extra + self.trend_std * self._ramp_modern(year) * np.exp(-z / 1500.0) * var["trend"]
            if "bias" in var:
                extra = extra + self.bias_std * _peak(z, 500.0, 900.0) * var["bias"]
        t = self.temperature(lat, lon, ze, year)
        s = self.salinity(lat, lon, ze, bas)
        sol = units.oxygen_solubility(s, t, p, np.maximum(lat, GSW_MIN_LAT), lon)   # defined at any latitude
        raw = sol - self.aou(lat, lon, ze, year, bas) - extra
        with np.errstate(invalid="ignore"):
            o2 = 0.5 + 3.0 * np.logaddexp(0.0, (raw - 0.5) / 3.0)   # smooth floor: >= 0.5 everywhere
        o2 = np.minimum(o2, sol)
        aou = sol - o2
        polar = np.clip((np.abs(lat) - 45) / 20, 0, 1)
        po4 = 0.35 + 0.9 * polar * np.exp(-z / 1500) + 0.3 * (1 - np.exp(-z / 300)) + aou / 170.0
        no3 = 16.0 * po4 + (0.0 if no3_noise is None else no3_noise)
        pac, ind, atl = bas
        sio4 = 2 + (40 + 110 * pac + 60 * ind) * (1 - np.exp(-z / 1200)) + 30 * polar
        return {"temperature": t, "salinity": s, "oxygen": o2, "phosphate": po4,
                "nitrate": np.maximum(no3, 0.0), "silicate": sio4, "solubility": sol, "pressure": p}

    def grid_fields(self, year: int, mask: np.ndarray, anomaly: bool = False) -> dict:
        """Truth on the grid (float32, NaN off ``mask``); ``anomaly``: also ``o2_anomaly`` = O2 − O2 of the same
        ocean without the AOU anomaly and the heave (the interannual-to-decadal part; regional trends stay)."""
        g = self.grid
        pos = (g.lat[None, :, None], g.lon[None, None, :], g.depth[:, None, None], year, self.no3_noise)
        var = self.var.grid(year) if self.var is not None else None
        f = self.fields(*pos, var=var)
        if anomaly:
            calm = None if var is None else {**var, "aou": 0.0, "heave": 0.0}
            f["o2_anomaly"] = f["oxygen"] - (self.fields(*pos, var=calm)["oxygen"] if calm else 0.0)
        return {k: np.where(mask, v, np.nan).astype(np.float32) for k, v in f.items()}

    def point_fields(self, cast_lat, cast_lon, cast_index, depth, year: int) -> dict:
        """Truth at observation levels (level i of cast ``cast_index[i]`` at ``depth[i]``), with variability."""
        lat, lon = np.asarray(cast_lat)[cast_index], np.asarray(cast_lon)[cast_index]
        var = self.var.points(cast_lat, cast_lon, cast_index, depth, year) if self.var is not None else None
        return self.fields(lat, lon, depth, year, self.point_noise(lat, lon, depth), var=var)

    def point_noise(self, lat, lon, depth) -> np.ndarray:
        k, j, i = self.grid.locate(lat, lon, depth)
        ok = k >= 0
        out = np.zeros(np.shape(lat), np.float32)
        out[ok] = self.no3_noise[k[ok], j[ok], i[ok]]
        return out
