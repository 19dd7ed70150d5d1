"""Streaming statistics of gridded fields for the realism report (one year at a time, memory bounded by the grid).

- :class:`Correlogram`: decorrelation length (km), time (years) and depth scale (m) of an anomaly field, measured
  back from the field: pooled correlations Σ a·b / sqrt(Σ a² Σ b²) (anomalies have zero mean by construction)
  of cell pairs on the same level binned by great-circle distance (a fixed random subset of ocean columns, all
  pairs closer than ``max_km``), of the same cell in consecutive years, and of vertically adjacent cells.
  Length = where the binned correlation falls to 1/e (linear between bin centres, starting from 1 at 0 km);
  time = −1/ln(lag-1 correlation); depth scale = Σ Δz / Σ −ln r over adjacent level pairs.
- :class:`VarianceShare`: the share of O2 variance the anomaly field carries, volume-weighted over cells × years
  (of the total variance, and of the variance in time at each cell).
- :class:`CovariateError`: RMS of covariates − truth (T, S) per decade over cells shallower than ``max_depth``.
"""
from __future__ import annotations

import numpy as np

EARTH_KM = 6371.0


def great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dl = np.deg2rad(lon2 - lon1)
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return EARTH_KM * np.arccos(np.clip(c, -1.0, 1.0))


class Correlogram:
    def __init__(self, grid, mask: np.ndarray, max_km: float, max_cols: int = 800, nbins: int = 30, seed: int = 0):
        self.depth = np.asarray(grid.depth, float)
        cols = np.flatnonzero(mask[0].ravel())
        rng = np.random.default_rng([seed, 31])
        pick = np.sort(rng.choice(cols, size=min(max_cols, len(cols)), replace=False))
        j, i = np.divmod(pick, grid.nlon)
        a, b = np.triu_indices(len(pick), k=1)
        d = great_circle_km(grid.lat[j[a]], grid.lon[i[a]], grid.lat[j[b]], grid.lon[i[b]])
        keep = d < max_km
        self.a, self.b = pick[a[keep]], pick[b[keep]]
        self.edges = np.linspace(0.0, max_km, nbins + 1)
        self.bin = np.clip(np.searchsorted(self.edges, d[keep], side="right") - 1, 0, nbins - 1)
        self.nb = nbins
        self.s = np.zeros((3, nbins))                     # Σab, Σaa, Σbb per distance bin
        self.t = np.zeros(3)                              # lag-1 in time
        self.v = np.zeros((3, len(self.depth) - 1))       # adjacent levels
        self.prev = None

    def add(self, field: np.ndarray) -> None:
        f = np.asarray(field, np.float64)
        flat = f.reshape(len(f), -1)
        for k in range(len(f)):
            va, vb = flat[k, self.a], flat[k, self.b]
            ok = np.isfinite(va) & np.isfinite(vb)
            for n, w in enumerate((va * vb, va * va, vb * vb)):
                self.s[n] += np.bincount(self.bin[ok], weights=w[ok], minlength=self.nb)
        if self.prev is not None:
            ok = np.isfinite(f) & np.isfinite(self.prev)
            x, y = f[ok], self.prev[ok]
            self.t += (np.sum(x * y), np.sum(x * x), np.sum(y * y))
        self.prev = f
        up, dn = flat[:-1], flat[1:]
        ok = np.isfinite(up) & np.isfinite(dn)
        u, d = np.where(ok, up, 0.0), np.where(ok, dn, 0.0)
        self.v += np.stack([(u * d).sum(1), (u * u).sum(1), (d * d).sum(1)])

    @staticmethod
    def _corr(s):
        with np.errstate(invalid="ignore", divide="ignore"):
            return s[0] / np.sqrt(s[1] * s[2])

    def correlation(self) -> tuple[np.ndarray, np.ndarray]:
        """(bin centres km, pooled correlation) of bins holding pairs."""
        c = self._corr(self.s)
        centres = 0.5 * (self.edges[1:] + self.edges[:-1])
        ok = np.isfinite(c) & (self.s[1] > 0)
        return centres[ok], c[ok]

    def result(self) -> dict:
        x, c = self.correlation()
        x, c = np.r_[0.0, x], np.r_[1.0, c]
        below = np.flatnonzero(c < np.exp(-1.0))
        length = None
        if len(below):
            k = below[0]
            length = float(x[k - 1] + (c[k - 1] - np.exp(-1)) / (c[k - 1] - c[k]) * (x[k] - x[k - 1]))
        lag1 = float(self._corr(self.t)) if self.t[1] > 0 else None
        time = float(-1.0 / np.log(lag1)) if lag1 is not None and 0 < lag1 < 1 else None
        r = self._corr(self.v)
        dz = np.diff(self.depth)
        ok = np.isfinite(r) & (r > 0) & (r < 1)
        depth = float(dz[ok].sum() / -np.log(r[ok]).sum()) if ok.any() else None
        rnd = (lambda v, n: None if v is None else round(v, n))
        return {"length_km": rnd(length, 1), "time_yr": rnd(time, 2), "depth_m": rnd(depth, 1),
                "lag1": rnd(lag1, 4)}


class VarianceShare:
    def __init__(self, volume: np.ndarray):
        self.vol = np.asarray(volume, np.float64)
        self.tot = np.zeros(4)                            # ΣV, ΣV·o2, ΣV·o2², ΣV·a²
        self.cell = np.zeros((5,) + self.vol.shape)       # n, Σo2, Σo2², Σa, Σa²

    def add(self, o2: np.ndarray, anomaly: np.ndarray) -> None:
        ok = np.isfinite(o2) & np.isfinite(anomaly) & (self.vol > 0)
        o, a, v = np.where(ok, o2, 0.0), np.where(ok, anomaly, 0.0), np.where(ok, self.vol, 0.0)
        self.tot += (v.sum(), (v * o).sum(), (v * o * o).sum(), (v * a * a).sum())
        self.cell += np.stack([ok, o, o * o, a, a * a])

    def result(self) -> dict:
        w, so, so2, sa2 = self.tot
        var_o2 = so2 / w - (so / w) ** 2
        n = np.maximum(self.cell[0], 1)
        vt_o2 = self.cell[2] / n - (self.cell[1] / n) ** 2
        vt_a = self.cell[4] / n - (self.cell[3] / n) ** 2
        temporal = float((self.vol * vt_a).sum() / max((self.vol * vt_o2).sum(), 1e-12))
        return {"of_total": round(float(sa2 / w / var_o2), 5), "of_temporal": round(temporal, 4),
                "anomaly_rms": round(float(np.sqrt(sa2 / w)), 3), "o2_std": round(float(np.sqrt(var_o2)), 3)}


class CovariateError:
    def __init__(self, depth, max_depth: float = 1000.0):
        self.levels = np.asarray(depth, float) <= max_depth
        self.acc: dict[int, np.ndarray] = {}              # decade -> [n, Σ dT², Σ dS², Σ expected T², expected S²]

    def add(self, year: int, truth: dict, cov: dict, expected: tuple[float, float]) -> None:
        dt = (cov["temperature"] - truth["temperature"])[self.levels]
        ds = (cov["salinity"] - truth["salinity"])[self.levels]
        ok = np.isfinite(dt) & np.isfinite(ds)
        n = int(ok.sum())
        row = np.array([n, np.sum(dt[ok] ** 2.0), np.sum(ds[ok] ** 2.0), n * expected[0] ** 2, n * expected[1] ** 2])
        dec = int(year) // 10 * 10
        self.acc[dec] = self.acc.get(dec, np.zeros(5)) + row

    def result(self) -> dict:
        out = {}
        for dec, (n, st, ss, et, es) in sorted(self.acc.items()):
            if n:
                out[f"{dec}s"] = {"temperature_rms": round(float(np.sqrt(st / n)), 4),
                                  "temperature_configured": round(float(np.sqrt(et / n)), 4),
                                  "salinity_rms": round(float(np.sqrt(ss / n)), 5),
                                  "salinity_configured": round(float(np.sqrt(es / n)), 5)}
        return out
