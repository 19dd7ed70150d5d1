"""Small plots for run tracking (matplotlib, Agg), in the field's conventions: cmocean ``oxy`` for O2, the diverging
``balance`` for errors, units in every label, land grey and hatched (``GridSpec.ocean_fraction``, the real land
mask), ocean without a validation target white."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from oxygen_contracts.grid import GridSpec

LAND = "0.75"
UNITS = "µmol/kg"


@lru_cache(maxsize=4)
def _land(grid: GridSpec) -> np.ndarray:
    """[nlat, nlon] bool: land columns of the grid (ocean fraction < 0.5), computed once per grid."""
    return grid.ocean_fraction() < 0.5


def _level_mean(grid: GridSpec, j, i, values) -> np.ndarray:
    """[nlat, nlon] mean of ``values`` per column (NaN where none): one map from several years' targets."""
    s, n = np.zeros((grid.nlat, grid.nlon)), np.zeros((grid.nlat, grid.nlon))
    ok = np.isfinite(values)
    np.add.at(s, (j[ok], i[ok]), values[ok])
    np.add.at(n, (j[ok], i[ok]), 1)
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def prediction_map(grid: GridSpec, cell: np.ndarray, pred: np.ndarray, obs: np.ndarray, level: int, title: str = ""):
    """RGB array: observed, predicted and predicted − observed DO at depth ``level`` (validation target cells,
    averaged over their years), or None when no target lies on that level."""
    import cmocean
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = grid
    k, j, i = g.unravel(cell)
    sel = k == level
    if not sel.any():
        return None
    fields = {"observed": _level_mean(g, j[sel], i[sel], obs[sel]),
              "predicted": _level_mean(g, j[sel], i[sel], pred[sel])}
    diff = _level_mean(g, j[sel], i[sel], pred[sel] - obs[sel])
    lon_e = -180 + g.resolution_deg * np.arange(g.nlon + 1)
    lat_e = -90 + g.resolution_deg * np.arange(g.nlat + 1)
    sea = np.ma.masked_where(_land(g), np.ones((g.nlat, g.nlon)))
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), dpi=80)
    vmax = max(400.0, float(np.nanmax([np.nanmax(f) for f in fields.values()])))
    lim = float(np.nanpercentile(np.abs(diff), 98)) or 1.0
    panels = [(ax, f, name, cmocean.cm.oxy, 0.0, vmax, f"O2 ({UNITS})")
              for ax, (name, f) in zip(axes[:2], fields.items())]
    panels.append((axes[2], diff, "predicted − observed", cmocean.cm.balance, -lim, lim, f"error ({UNITS})"))
    for ax, f, name, cmap, lo, hi, label in panels:
        ax.set_facecolor(LAND)              # land grey and hatched (cmocean oxy has greys); ocean white
        ax.patch.set_hatch("////")
        ax.patch.set_edgecolor("0.55")
        ax.pcolormesh(lon_e, lat_e, sea, cmap=matplotlib.colors.ListedColormap(["white"]), shading="flat")
        pc = ax.pcolormesh(lon_e, lat_e, np.ma.masked_invalid(f), cmap=cmap, vmin=lo, vmax=hi, shading="flat")
        ax.set_title(f"{name}, {g.depth[level]:.0f} m", fontsize=10)
        ax.set_xlim(-180, 180), ax.set_ylim(-90, 90)
        ax.set_xlabel("longitude (°E)"), ax.set_ylabel("latitude (°N)")
        fig.colorbar(pc, ax=ax, label=label, shrink=0.85)
    fig.suptitle(title)
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image
