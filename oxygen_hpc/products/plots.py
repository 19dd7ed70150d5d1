"""PNG figures in the field's conventions (cmocean colormaps, units in every label, land grey and hatched): O2 maps at a depth
(``oxy``, a fixed 0–400 µmol/kg scale so hypoxic water is red on every map; a second panel with ``o2_std`` when
present, ``amp``), trend maps (µmol/kg per decade, the diverging ``balance`` symmetric about 0, dots where the 95 %
interval excludes 0) and time series (inventory, OMZ areas) with their OLS trend lines. Agg backend."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402,F401
import cmocean  # noqa: E402
import numpy as np  # noqa: E402

from oxygen_hpc.products.inventory import _edges  # noqa: E402
from oxygen_hpc.products.trends import Trend, ols_trend  # noqa: E402

LAND = "0.75"
O2_MAX = 400.0        # µmol/kg: top of the O2 colour scale (raised if a map holds more)


def _panel(fig, ax, lon_e, lat_e, field, title, cmap, label, vmin=None, vmax=None):
    ax.set_facecolor(LAND)                  # land and below the bottom: grey, hatched (cmocean oxy has greys)
    ax.patch.set_hatch("////")
    ax.patch.set_edgecolor("0.55")
    m = np.ma.masked_invalid(field)
    pc = ax.pcolormesh(lon_e, lat_e, m, cmap=cmap, vmin=vmin, vmax=vmax, shading="flat")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(lon_e[0], lon_e[-1])
    ax.set_ylim(max(lat_e[0], -90), min(lat_e[-1], 90))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    fig.colorbar(pc, ax=ax, label=label, shrink=0.85)


def plot_map(path: Path, lat, lon, o2_level, std_level, year: int, depth: float, units: str = "µmol/kg") -> Path:
    """Map of one level (``o2_level`` [nlat, nlon], NaN = land/below bottom) and optionally its uncertainty."""
    lon_e, lat_e = _edges(lon), np.clip(_edges(lat), -90, 90)
    n = 2 if std_level is not None else 1
    fig, axes = plt.subplots(n, 1, figsize=(8, 3.6 * n), squeeze=False)
    top = float(np.nanmax(o2_level)) if np.isfinite(o2_level).any() else O2_MAX
    _panel(fig, axes[0, 0], lon_e, lat_e, o2_level, f"dissolved O2 {year}, {depth:g} m", cmocean.cm.oxy,
           f"O2 ({units})", vmin=0, vmax=max(O2_MAX, top))
    if std_level is not None:
        _panel(fig, axes[1, 0], lon_e, lat_e, std_level, f"O2 uncertainty (ensemble std) {year}, {depth:g} m",
               cmocean.cm.amp, f"std ({units})", vmin=0)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_trend_map(path: Path, lat, lon, slope, significant, depth: float, years: tuple[int, int],
                   units: str = "µmol/kg per decade") -> Path:
    """Map of the O2 trend at one level (``slope`` [nlat, nlon], NaN = land/below bottom/too few years)."""
    lon_e, lat_e = _edges(lon), np.clip(_edges(lat), -90, 90)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    finite = np.abs(slope[np.isfinite(slope)])
    lim = float(np.percentile(finite, 98)) if finite.size else 1.0
    _panel(fig, ax, lon_e, lat_e, slope, f"O2 trend {years[0]}–{years[1]}, {depth:g} m (dots: 95 % CI excludes 0)",
           cmocean.cm.balance, f"O2 trend ({units})", vmin=-(lim or 1.0), vmax=lim or 1.0)
    jj, ii = np.nonzero(significant)
    if jj.size:
        ax.plot(np.asarray(lon, float)[ii], np.asarray(lat, float)[jj], "k.", ms=1.5)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_series(path: Path, years, series: dict[str, np.ndarray], trends: dict[str, Trend], ylabel: str,
                title: str, scale: float = 1.0) -> Path:
    """Yearly series (one line each) and their trend lines; legend gives the trend ± 95 % CI in %/decade."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for name, values in series.items():
        line, = ax.plot(years, np.asarray(values) / scale, marker="o", ms=2.5, lw=1, label=name)
        tr = trends.get(name)
        if tr is not None and np.isfinite(tr.slope_per_decade):
            half = (tr.pct_ci95_high - tr.pct_ci95_low) / 2
            ax.plot(years, tr.line(years) / scale, "--", color=line.get_color(), lw=1,
                    label=f"{name} trend {tr.pct_per_decade:+.2f} ± {half:.2f} %/decade")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def timeseries(prod, folder: Path) -> list[Path]:
    """The global inventory, the global OMZ areas and the basin inventories of ``prod`` (pipeline.Products)."""
    y = prod.years
    g = prod.regions.index("global")
    paths = []
    s = {"global": prod.inventory[:, g]}
    paths.append(plot_series(folder / "inventory.png", y, s, {k: ols_trend(y, v) for k, v in s.items()},
                             "O2 inventory (1e15 mol)", "Global O2 inventory", scale=1e15))
    s = {f"O2 < {t:g}": prod.omz_area[:, a, g] for a, t in enumerate(prod.thresholds)}
    paths.append(plot_series(folder / "omz_area.png", y, s, {k: ols_trend(y, v) for k, v in s.items()},
                             "OMZ area (1e6 km²)", "Global OMZ area (columns below threshold at any depth)",
                             scale=1e6))
    if len(prod.regions) > 1:
        s = {r: prod.inventory[:, i] for i, r in enumerate(prod.regions) if r != "global"}
        paths.append(plot_series(folder / "inventory_basins.png", y, s, {k: ols_trend(y, v) for k, v in s.items()},
                                 "O2 inventory (1e15 mol)", "O2 inventory per basin", scale=1e15))
    return paths
